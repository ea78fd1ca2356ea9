import {
  consentDecider,
  consentEventTime,
  consentStream,
  coveredByGpc,
  effectiveStatus,
  gone,
  GRANT_EVIDENCE,
  invalid,
  parseIsoTimestamp,
  type ConsentStatus,
  type PurposeState,
  type RecordConsent,
} from '@custodian/domain';
import { deterministicEventId, newEventId } from '@custodian/event-store';
import { CommandExecutor, ErasureLedger, FieldVault, type CommandMeta } from '@custodian/platform';
import { BadRequestException } from '@nestjs/common';
import { Command, CommandHandler, QueryBus, type ICommandHandler } from '@nestjs/cqrs';
import { AllPurposesQuery } from '../purposes/all-purposes.query';
import { CurrentPurposeQuery } from '../purposes/current-purpose.query';
import type { RecordConsentDto } from './record-consent.dto';

export interface ConsentRecorded {
  /** True when an Idempotency-Key retry answered what the original did. */
  replayed: boolean;
  body: {
    receiptId: string;
    subjectId: string;
    purposeId: string;
    status: ConsentStatus;
    recordedAt: string;
    gpcOptOuts: Array<{ purposeId: string; receiptId: string }>;
  };
}

/** A grant or withdrawal for one purpose; a Global Privacy Control signal also opts out of the purposes it covers. */
export class RecordConsentCommand extends Command<ConsentRecorded> {
  constructor(
    readonly subjectId: string,
    readonly body: RecordConsentDto,
    readonly gpc: boolean,
    readonly meta: CommandMeta,
  ) {
    super();
  }
}

@CommandHandler(RecordConsentCommand)
export class RecordConsentHandler implements ICommandHandler<RecordConsentCommand> {
  constructor(
    private readonly commands: CommandExecutor,
    private readonly queries: QueryBus,
    private readonly erasures: ErasureLedger,
    private readonly vault: FieldVault,
  ) {}

  async execute({ subjectId, body, gpc, meta }: RecordConsentCommand): Promise<ConsentRecorded> {
    if (body.action === 'grant') {
      // A grant carries its full evidence (a revocation needs only the channel).
      const missing = GRANT_EVIDENCE.filter((field) => body.evidence[field] === undefined);
      if (missing.length > 0)
        throw new BadRequestException({
          message: `invalid request: ${missing.map((f) => `evidence.${f}`).join(', ')} required for a grant`,
          details: missing.map((f) => ({
            field: `evidence.${f}`,
            problem: 'is required for a grant',
          })),
        });
    }
    // The log says who is erased, not the key store: its key may not be destroyed yet.
    if (await this.erasures.isErased(subjectId)) throw gone(subjectId);
    const expiresAt = body.expiresAt === undefined ? null : parseIsoTimestamp(body.expiresAt);
    if (expiresAt === null && body.expiresAt !== undefined)
      throw invalid('expiresAt', 'is not a valid timestamp');
    const receiptId = newEventId();
    const command: RecordConsent = {
      type: 'RecordConsent',
      subjectId,
      purposeId: body.purposeId,
      action: body.action,
      noticeVersion: body.noticeVersion ?? null,
      evidence: {
        channel: body.evidence.channel,
        // A revocation may leave these out; what is given is recorded.
        ...present(body.evidence, ['collectionPoint', 'method', 'language', 'jurisdiction']),
        // Only a fingerprint keyed by the customer's data key: the proof holds the customer.
        ...(body.evidence.proofSha256
          ? { proofHmac: await this.vault.proofDigest(subjectId, body.evidence.proofSha256) }
          : {}),
      },
      expiresAt: expiresAt?.toISOString() ?? null,
      receiptId,
      gpc,
    };
    let purpose: PurposeState | null = null;
    const outcome = await this.commands.execute(
      consentStream(subjectId),
      consentDecider,
      command,
      async () => ({
        now: meta.now,
        purpose: (purpose = await this.purpose(body.purposeId)),
        gpcPurposes: gpc ? await this.gpcCovered() : [],
        gpcReceiptId: (purposeId: string) =>
          deterministicEventId(`${receiptId}:gpc:${purposeId}`, 0),
      }),
      meta,
    );
    const [primary, ...optOuts] = outcome.events;
    purpose ??= await this.purpose(primary.data.purposeId);
    // The status the decision left, at its own time: a replay answers what the original did.
    const recorded = consentDecider.evolve(consentDecider.initialState(), primary).purposes[
      primary.data.purposeId
    ];
    const at = new Date(consentEventTime(primary));
    return {
      replayed: outcome.replayed,
      body: {
        receiptId: primary.data.receiptId,
        subjectId,
        purposeId: primary.data.purposeId,
        status: purpose ? effectiveStatus(recorded, purpose, at) : 'never',
        recordedAt: consentEventTime(primary),
        gpcOptOuts: optOuts.map((e) => ({
          purposeId: e.data.purposeId,
          receiptId: e.data.receiptId,
        })),
      },
    };
  }

  private purpose(purposeId: string): Promise<PurposeState | null> {
    return this.queries.execute(new CurrentPurposeQuery(purposeId));
  }

  /** Active purposes a Global Privacy Control signal opts customers out of. */
  private async gpcCovered(): Promise<PurposeState[]> {
    const all = await this.queries.execute(new AllPurposesQuery());
    return [...all.values()].filter((p) => p.status === 'active' && coveredByGpc(p.flags));
  }
}

/** The keys of `value` among `keys` that are set. */
function present<T extends object, K extends keyof T>(
  value: T,
  keys: readonly K[],
): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const key of keys) if (value[key] !== undefined) out[key] = value[key];
  return out;
}
