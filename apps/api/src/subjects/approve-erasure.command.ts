import { erasureApprovalDecider, erasureApprovalStream } from '@custodian/domain';
import { CommandExecutor, ErasureService, type CommandMeta } from '@custodian/platform';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { SubjectsService, type ErasureReceipt } from './subjects.service';

/**
 * A DPO other than the requester lets a held erasure go ahead: the approval is recorded, then
 * the customer is erased (with the reason and channel of the request) and the receipt returned.
 */
export class ApproveErasureCommand extends Command<ErasureReceipt> {
  constructor(
    readonly subjectId: string,
    readonly note: string,
    readonly meta: CommandMeta,
  ) {
    super();
  }
}

@CommandHandler(ApproveErasureCommand)
export class ApproveErasureHandler implements ICommandHandler<ApproveErasureCommand> {
  constructor(
    private readonly commands: CommandExecutor,
    private readonly erasure: ErasureService,
    private readonly subjects: SubjectsService,
  ) {}

  async execute({ subjectId, note, meta }: ApproveErasureCommand): Promise<ErasureReceipt> {
    const outcome = await this.commands.execute(
      erasureApprovalStream(subjectId),
      erasureApprovalDecider,
      { type: 'ApproveErasure', subjectId, approverId: meta.actor.id, note },
      () => ({ now: meta.now }),
      meta,
    );
    const { reason, requestedVia } = outcome.state!.request;
    await this.erasure.erase(subjectId, { reason, requestedVia }, meta);
    return this.subjects.erasureReceipt(subjectId);
  }
}
