import {
  invalid,
  notFound,
  parseIsoTimestamp,
  privacyRequestDecider,
  privacyRequestStream,
  subjectStream,
  type PrivacyRequestCommand,
} from '@custodian/domain';
import { EVENT_STORE, type EventStore } from '@custodian/event-store';
import {
  CommandExecutor,
  ErasureLedger,
  erasureState,
  type CommandMeta,
} from '@custodian/platform';
import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import type { OpenPrivacyRequestDto } from './privacy-requests.dto';
import { describePrivacyRequest, type PrivacyRequestView } from './privacy-requests.service';

/** How far back a request's `receivedAt` may lie (a letter found late is still a case). */
const MAX_AGE_MS = 366 * 86_400_000;

/** Opens a case for a data subject's request; its deadline comes from the jurisdiction's row. */
export class OpenPrivacyRequestCommand extends Command<PrivacyRequestView> {
  constructor(
    readonly dto: OpenPrivacyRequestDto,
    readonly meta: CommandMeta,
  ) {
    super();
  }
}

@CommandHandler(OpenPrivacyRequestCommand)
export class OpenPrivacyRequestHandler implements ICommandHandler<OpenPrivacyRequestCommand> {
  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    private readonly commands: CommandExecutor,
  ) {}

  async execute({ dto, meta }: OpenPrivacyRequestCommand): Promise<PrivacyRequestView> {
    const subjectId = dto.subjectId.toLowerCase();
    let receivedAt = meta.now;
    if (dto.receivedAt !== undefined) {
      const at = parseIsoTimestamp(dto.receivedAt);
      if (!at) throw invalid('receivedAt', 'is not a valid timestamp');
      if (at > meta.now) throw invalid('receivedAt', 'must not be in the future');
      if (meta.now.getTime() - at.getTime() > MAX_AGE_MS)
        throw invalid('receivedAt', 'must be within the last year');
      receivedAt = at;
    }
    // A request about an erased customer is still a case (the answer may be "nothing is held").
    const { state } = await erasureState(this.events, subjectStream(subjectId));
    if (!state) throw notFound('subjectId', `subject ${subjectId} is not registered`);
    const requestId = randomUUID();
    const outcome = await this.commands.execute(
      privacyRequestStream(requestId),
      privacyRequestDecider,
      {
        type: 'OpenPrivacyRequest',
        requestId,
        subjectId,
        kind: dto.kind,
        jurisdiction: dto.jurisdiction,
        receivedVia: dto.receivedVia,
        receivedAt: receivedAt.toISOString(),
        by: meta.actor.id,
      },
      () => ({ now: meta.now }),
      meta,
    );
    return describePrivacyRequest(outcome.state!, meta.now);
  }
}

export type PrivacyRequestAction =
  | { type: 'VerifyIdentity' }
  | { type: 'ExtendPrivacyRequest'; reason: string }
  | { type: 'CompletePrivacyRequest'; outcome: string | null; receiptId: string | null }
  | { type: 'RefusePrivacyRequest'; reason: string };

/** A step of a case: verify the identity, extend, complete or refuse. */
export class ActOnPrivacyRequestCommand extends Command<PrivacyRequestView> {
  constructor(
    readonly requestId: string,
    readonly action: PrivacyRequestAction,
    readonly meta: CommandMeta,
  ) {
    super();
  }
}

@CommandHandler(ActOnPrivacyRequestCommand)
export class ActOnPrivacyRequestHandler implements ICommandHandler<ActOnPrivacyRequestCommand> {
  constructor(
    private readonly commands: CommandExecutor,
    private readonly erasures: ErasureLedger,
  ) {}

  async execute({
    requestId,
    action,
    meta,
  }: ActOnPrivacyRequestCommand): Promise<PrivacyRequestView> {
    const command = { ...action, requestId, by: meta.actor.id } as PrivacyRequestCommand;
    const outcome = await this.commands.execute(
      privacyRequestStream(requestId),
      privacyRequestDecider,
      command,
      async (state) => ({
        now: meta.now,
        // Completing an erasure request needs the erasure in the log.
        subjectErased:
          action.type === 'CompletePrivacyRequest' && state?.received.kind === 'erasure'
            ? await this.erasures.isErased(state.received.subjectId)
            : undefined,
      }),
      meta,
    );
    return describePrivacyRequest(outcome.state!, meta.now);
  }
}
