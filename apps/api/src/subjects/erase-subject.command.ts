import { ErasureService, type CommandMeta } from '@custodian/platform';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { ErasureRequestDto } from './subjects.dto';
import { SubjectsService, type ErasureReceipt } from './subjects.service';

/** Crypto-shredding on request; answers the erasure receipt. Erasing again is not an error. */
export class EraseSubjectCommand extends Command<ErasureReceipt> {
  constructor(
    readonly subjectId: string,
    readonly request: ErasureRequestDto,
    readonly meta: CommandMeta,
  ) {
    super();
  }
}

@CommandHandler(EraseSubjectCommand)
export class EraseSubjectHandler implements ICommandHandler<EraseSubjectCommand> {
  constructor(
    private readonly erasure: ErasureService,
    private readonly subjects: SubjectsService,
  ) {}

  async execute({ subjectId, request, meta }: EraseSubjectCommand): Promise<ErasureReceipt> {
    await this.erasure.erase(subjectId, request, meta);
    return this.subjects.erasureReceipt(subjectId);
  }
}
