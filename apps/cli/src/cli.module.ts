import { Module } from '@nestjs/common';
import {
  ActorsCommand,
  AddActorCommand,
  DisableActorCommand,
  RotateActorKeyCommand,
} from './commands/actors.command';
import { BackupCommand, RestoreCommand } from './commands/backup.command';
import { KeysCommand, RotateMasterCommand } from './commands/keys.command';
import { LogCommand, VerifyLogCommand } from './commands/log.command';
import { ProjectionsCommand, RebuildProjectionCommand } from './commands/projections.command';
import { StatusCommand } from './commands/status.command';

/**
 * Every command of the admin CLI. A command is one class (`@Command`, or `@SubCommand` under a
 * group) in `commands/`; adding one is that file and its name here.
 */
@Module({
  providers: [
    StatusCommand,
    ProjectionsCommand,
    RebuildProjectionCommand,
    BackupCommand,
    RestoreCommand,
    KeysCommand,
    RotateMasterCommand,
    ActorsCommand,
    AddActorCommand,
    DisableActorCommand,
    RotateActorKeyCommand,
    LogCommand,
    VerifyLogCommand,
  ],
})
export class CliModule {}
