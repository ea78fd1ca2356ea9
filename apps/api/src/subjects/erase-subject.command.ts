import {
  erasureApprovalDecider,
  erasureApprovalStream,
  fold,
  subjectStream,
  type ErasureApprovalEvent,
  type ErasureApprovalState,
} from '@custodian/domain';
import { EVENT_STORE, readTypedStream, type EventStore } from '@custodian/event-store';
import {
  ActorLimits,
  CommandExecutor,
  ErasureService,
  erasureState,
  type CommandMeta,
} from '@custodian/platform';
import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { ErasureRequestDto } from './subjects.dto';
import { SubjectsService, type ErasureReceipt } from './subjects.service';

/** An erasure waiting for a second person (202, `status: awaiting_approval`). */
export interface ErasureHold {
  subjectId: string;
  status: 'awaiting_approval';
  requestedBy: string;
  requestedAt: string;
  reason: string;
  requestedVia: string;
  erasuresThisHour: number;
  threshold: number;
  approve: string;
}

/**
 * Crypto-shredding on request; answers the erasure receipt. Erasing again is not an error.
 * Past `CUSTODIAN_ERASURE_APPROVAL_ABOVE` erasures by the caller this hour, the erasure is held
 * until a DPO other than the requester approves it (`ErasureHold`).
 */
export class EraseSubjectCommand extends Command<ErasureReceipt | ErasureHold> {
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
    @Inject(EVENT_STORE) private readonly events: EventStore,
    private readonly commands: CommandExecutor,
    private readonly erasure: ErasureService,
    private readonly subjects: SubjectsService,
    private readonly limits: ActorLimits,
  ) {}

  async execute({
    subjectId,
    request,
    meta,
  }: EraseSubjectCommand): Promise<ErasureReceipt | ErasureHold> {
    const { state } = await erasureState(this.events, subjectStream(subjectId));
    // Unknown (404) and already erased (the receipt again) answer as they always did.
    if (state && !state.erased) {
      const held = await pendingApproval(this.events, subjectId);
      if (held?.status === 'awaiting_approval') return describeHold(held);
      if (held?.status !== 'approved') {
        const admission = await this.limits.admitErasure(meta.actor, subjectId, meta.now);
        if (!admission.admitted) {
          const outcome = await this.commands.execute(
            erasureApprovalStream(subjectId),
            erasureApprovalDecider,
            {
              type: 'HoldErasure',
              request: {
                subjectId,
                requestedBy: meta.actor.id,
                role: meta.actor.role,
                reason: request.reason,
                requestedVia: request.requestedVia,
                erasuresThisHour: admission.erasuresThisHour,
                threshold: admission.threshold,
                at: meta.now.toISOString(),
              },
            },
            () => ({ now: meta.now }),
            meta,
          );
          return describeHold(outcome.state!);
        }
      }
    }
    await this.erasure.erase(subjectId, request, meta);
    return this.subjects.erasureReceipt(subjectId);
  }
}

/** The approval stream of a customer's erasure, folded; null when none was ever held. */
export async function pendingApproval(
  events: EventStore,
  subjectId: string,
): Promise<ErasureApprovalState | null> {
  return fold(
    erasureApprovalDecider,
    await readTypedStream<ErasureApprovalEvent>(events, erasureApprovalStream(subjectId)),
  );
}

function describeHold(state: ErasureApprovalState): ErasureHold {
  const { subjectId, requestedBy, at, reason, requestedVia, erasuresThisHour, threshold } =
    state.request;
  return {
    subjectId,
    status: 'awaiting_approval',
    requestedBy,
    requestedAt: at,
    reason,
    requestedVia,
    erasuresThisHour,
    threshold,
    approve: `/v1/subjects/${subjectId}/erasure/approve`,
  };
}
