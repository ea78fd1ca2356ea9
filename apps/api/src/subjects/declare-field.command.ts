import {
  FIELD_CATALOGUE_STREAM,
  fieldCatalogueDecider,
  type FieldDefinition,
} from '@custodian/domain';
import { CommandExecutor, type CommandMeta } from '@custodian/platform';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';

/** A custom profile field, with its data category, in the field catalogue. */
export class DeclareFieldCommand extends Command<FieldDefinition | undefined> {
  constructor(
    readonly field: FieldDefinition,
    readonly meta: CommandMeta,
  ) {
    super();
  }
}

@CommandHandler(DeclareFieldCommand)
export class DeclareFieldHandler implements ICommandHandler<DeclareFieldCommand> {
  constructor(private readonly commands: CommandExecutor) {}

  async execute({ field, meta }: DeclareFieldCommand) {
    const outcome = await this.commands.execute(
      FIELD_CATALOGUE_STREAM,
      fieldCatalogueDecider,
      { type: 'DeclareField', field },
      () => ({ now: meta.now }),
      meta,
    );
    return outcome.state[field.name];
  }
}
