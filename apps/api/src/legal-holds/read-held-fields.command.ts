import { LegalHolds, type CommandMeta } from '@custodian/platform';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';

export interface HeldFields {
  subjectId: string;
  purposeId: string;
  heldUntil: string;
  fields: Record<string, string>;
}

/**
 * The DPO's read of the fields a legal hold keeps after an erasure, for the purpose that holds
 * them. A command, as it writes: the access record, before any value leaves.
 */
export class ReadHeldFieldsCommand extends Command<HeldFields> {
  constructor(
    readonly subjectId: string,
    readonly purposeId: string,
    readonly meta: CommandMeta,
  ) {
    super();
  }
}

@CommandHandler(ReadHeldFieldsCommand)
export class ReadHeldFieldsHandler implements ICommandHandler<ReadHeldFieldsCommand> {
  constructor(private readonly holds: LegalHolds) {}

  execute({ subjectId, purposeId, meta }: ReadHeldFieldsCommand): Promise<HeldFields> {
    return this.holds.read(subjectId, purposeId, meta);
  }
}
