import {
  consentEventTime,
  consentStream,
  consentViewAt,
  effectiveStatus,
  gone,
  notFound,
  parseIsoTimestamp,
  subjectStream,
  type ConsentEvent,
  type ConsentStatus,
  type PurposeConsent,
  type PurposeEvent,
  type PurposeState,
  type SubjectEvent,
} from '@custodian/domain';
import { EVENT_STORE, readTypedStream, type EventStore } from '@custodian/event-store';
import {
  CLOCK,
  CUSTODIAN_CONFIG,
  ErasureLedger,
  FieldVault,
  ProjectionReader,
  WriteTracker,
  isUuid,
  badParam,
  type Clock,
  type CommandMeta,
  type CustodianConfig,
  type RequestActor,
} from '@custodian/platform';
import {
  consentErasureMarkerId,
  consentStateId,
  type ConsentReceiptDocument,
} from '@custodian/projections';
import { READ_STORE, type ReadStore } from '@custodian/read-store';
import { KEY_STORE, type KeyStore } from '@custodian/crypto';
import { Inject, Injectable } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { AllPurposesQuery } from '../purposes/all-purposes.query';
import { CurrentPurposeQuery } from '../purposes/current-purpose.query';
import { PurposeHistoryQuery } from '../purposes/purpose-history.query';
import { GateAudience } from './gate-audience';

export type GateReason =
  'revoked' | 'expired' | 'stale' | 'never_asked' | 'erased' | 'purpose_inactive';

export type ConsentStateView = Awaited<ReturnType<ConsentsService['state']>>;
export type ConsentHistoryView = Awaited<ReturnType<ConsentsService['history']>>;

/** Reads of consent: state now or at a moment, history, receipts, and the consent gate. */
@Injectable()
export class ConsentsService {
  constructor(
    private readonly queries: QueryBus,
    private readonly projections: ProjectionReader,
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Inject(READ_STORE) private readonly reads: ReadStore,
    @Inject(CUSTODIAN_CONFIG) private readonly config: CustodianConfig,
    @Inject(KEY_STORE) private readonly keyStore: KeyStore,
    private readonly writes: WriteTracker,
    private readonly vault: FieldVault,
    private readonly erasures: ErasureLedger,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly audienceOf: GateAudience,
  ) {}

  /**
   * State per purpose, now or at `asOf`, replayed from the events themselves: `erased` for
   * every purpose from the customer's erasure on.
   */
  async state(subjectId: string, asOf: string | undefined) {
    let at = this.clock.now();
    if (asOf !== undefined) {
      const parsed = parseIsoTimestamp(asOf);
      if (!parsed) throw badParam('asOf', 'must be an ISO-8601 timestamp with a time zone');
      at = parsed;
    }
    const [consents, purposes, erasedAt] = await Promise.all([
      this.consentEvents(subjectId),
      this.queries.execute(new AllPurposesQuery()),
      this.erasedAt(subjectId),
    ]);
    const histories = new Map<string, PurposeEvent[]>();
    await Promise.all(
      [...purposes.keys()].map(async (id) =>
        histories.set(id, await this.queries.execute(new PurposeHistoryQuery(id))),
      ),
    );
    return {
      subjectId,
      asOf: at.toISOString(),
      erasedAt,
      purposes: consentViewAt(consents, histories, at, erasedAt),
    };
  }

  async history(subjectId: string) {
    const [recorded, erasedAt] = await Promise.all([
      readTypedStream<ConsentEvent>(this.events, consentStream(subjectId)),
      this.erasedAt(subjectId),
    ]);
    return {
      subjectId,
      erasedAt,
      events: recorded.map((e) => {
        return {
          eventId: e.id,
          type: e.type,
          purposeId: e.data.purposeId,
          receiptId: e.data.receiptId,
          noticeVersion: e.data.noticeVersion,
          legalBasis: e.data.legalBasis,
          evidence: e.data.evidence,
          expiresAt: e.type === 'ConsentGranted' ? e.data.expiresAt : null,
          trigger: e.type === 'ConsentRevoked' ? e.data.trigger : 'request',
          at: consentEventTime(e),
          recordedBy: e.metadata.actor ?? null,
        };
      }),
    };
  }

  /**
   * Compares a proof document's SHA-256 with the keyed fingerprint the consent recorded (or, for
   * a consent recorded before fingerprints were keyed, its plain SHA-256). 410 once the
   * customer is erased: the key the fingerprint needs is gone, as intended.
   */
  async proofCheck(subjectId: string, receiptId: string, proofSha256: string) {
    const recorded = await readTypedStream<ConsentEvent>(this.events, consentStream(subjectId));
    const event = recorded.find((e) => e.data.receiptId === receiptId);
    if (!event) throw notFound('receiptId', `no consent of ${subjectId} has receipt ${receiptId}`);
    const { proofHmac, proofSha256: legacy } = event.data.evidence;
    if (proofHmac === undefined && legacy === undefined)
      throw notFound('receiptId', `consent ${receiptId} was recorded without a proof`);
    if (await this.erasures.isErased(subjectId)) throw gone(subjectId);
    const matches =
      proofHmac !== undefined
        ? (await this.vault.proofDigest(subjectId, proofSha256)) === proofHmac
        : legacy === proofSha256;
    return { subjectId, receiptId, matches };
  }

  /** An ISO/IEC TS 27560-shaped record of one grant or withdrawal. */
  async receipt(receiptId: string) {
    const collection = await this.projections.collection('consent_receipts');
    let doc = (await this.reads.get(collection, receiptId)) as ConsentReceiptDocument | null;
    if (!doc) {
      // Recorded a moment ago? Wait for the projection to apply what has been written.
      await this.projections.catchUp('consent_receipts', {
        position: this.writes.lastPosition('consent'),
      });
      doc = (await this.reads.get(collection, receiptId)) as ConsentReceiptDocument | null;
    }
    if (!doc) throw notFound('receiptId', `no consent receipt ${receiptId}`);
    const purpose = await this.purpose(doc.purposeId);
    const notice =
      purpose?.notices.find(
        (n) => n.version === doc.noticeVersion && n.language === doc.evidence.language,
      ) ?? purpose?.notices.find((n) => n.version === doc.noticeVersion);
    const granted = doc.eventType === 'ConsentGranted';
    return {
      schema: 'ISO/IEC TS 27560:2023 consent record (JSON shape)',
      schemaVersion: '1.0',
      recordId: doc.receiptId,
      piiPrincipalId: doc.subjectId,
      controller: this.config.controller,
      notice: doc.noticeVersion
        ? {
            version: doc.noticeVersion,
            language: notice?.language ?? null,
            url: notice?.url ?? null,
            textSha256: notice?.textSha256 ?? null,
          }
        : null,
      purposes: [
        {
          purposeId: doc.purposeId,
          title: purpose?.title ?? null,
          legalBasis: doc.legalBasis,
          dataCategories: purpose?.dataCategories ?? [],
          retention: purpose?.retention ?? null,
          recipients: purpose?.recipients ?? [],
        },
      ],
      collection: doc.evidence,
      event: {
        type: granted ? 'consent_given' : 'consent_withdrawn',
        time: doc.recordedAt,
        state: granted ? 'active' : 'withdrawn',
        trigger: doc.trigger,
      },
      validity: granted ? { from: doc.recordedAt, until: doc.expiresAt } : null,
      withdrawalMethod: purpose?.assessment.withdrawal ?? null,
      recordedBy: doc.recordedBy,
      eventId: doc.eventId,
    };
  }

  /**
   * The gate with the allowed customers' contact values (`include`): the request is checked
   * (catalogue, role, purpose) before the gate runs, then each allowed customer with a value to
   * show is one audited read. A customer erased between the gate and the decryption is denied.
   */
  async audience(
    purposeId: string,
    subjectIds: readonly unknown[],
    include: readonly string[],
    meta: CommandMeta & { actor: RequestActor },
  ) {
    const ids = checkedIds(subjectIds);
    const purpose = await this.purpose(purposeId);
    if (!purpose) throw notFound('purposeId', `purpose "${purposeId}" is not registered`);
    const plan = await this.audienceOf.plan(purpose, include, meta.actor);
    const gate = await this.gate(purposeId, ids);
    const { members, erased } = await this.audienceOf.members(plan, purposeId, gate.allowed, meta);
    const lost = new Set(erased);
    return {
      ...gate,
      allowed: gate.allowed.filter((id) => !lost.has(id)),
      denied: [
        ...gate.denied,
        ...erased.map((subjectId) => ({ subjectId, reason: 'erased' as GateReason })),
      ],
      contacts: members,
    };
  }

  /** Who may be contacted for a purpose, and why not for the rest. */
  async gate(purposeId: string, subjectIds: readonly unknown[]) {
    const ids = checkedIds(subjectIds);
    const purpose = await this.purpose(purposeId);
    if (!purpose) throw notFound('purposeId', `purpose "${purposeId}" is not registered`);
    const unique = [...new Set(ids)];
    if (purpose.status !== 'active') {
      return {
        purposeId,
        allowed: [],
        denied: unique.map((subjectId) => ({
          subjectId,
          reason: 'purpose_inactive' as GateReason,
        })),
      };
    }
    await this.projections.catchUp('consent_state');
    const collection = await this.projections.collection('consent_state');
    const [docs, destroyed] = await Promise.all([
      // Each customer's consent and, if they were erased, the projection's erasure marker: from
      // the log, so it holds even before (or without) the key's destruction.
      this.reads.getMany(
        collection,
        unique.flatMap((id) => [consentStateId(id, purposeId), consentErasureMarkerId(id)]),
      ),
      // Erasure destroys the key first-hand: the key store knows at once, even in a process
      // whose projections run elsewhere and lag.
      this.keyStore.destroyedAmong(unique),
    ]);
    const now = this.clock.now();
    const moment = now.toISOString();
    const needsConsent = purpose.legalBasis === 'consent';
    const allowed: string[] = [];
    const denied: Array<{ subjectId: string; reason: GateReason }> = [];
    for (const subjectId of unique) {
      const doc = docs.get(consentStateId(subjectId, purposeId)) as PurposeConsent | undefined;
      const status = effectiveStatus(doc, purpose, moment);
      if (
        status === 'erased' ||
        destroyed.has(subjectId) ||
        docs.has(consentErasureMarkerId(subjectId))
      ) {
        denied.push({ subjectId, reason: 'erased' });
        continue;
      }
      // Other legal bases need no consent, but an objection (revocation) still stops contact.
      const ok = status === 'granted' || (!needsConsent && status !== 'revoked');
      if (ok) allowed.push(subjectId);
      else denied.push({ subjectId, reason: gateReason(status) });
    }
    return { purposeId, checkedAt: moment, allowed, denied };
  }

  private purpose(purposeId: string): Promise<PurposeState | null> {
    return this.queries.execute(new CurrentPurposeQuery(purposeId));
  }

  /** When the customer was erased, from their subject stream (short: a profile's changes). */
  private async erasedAt(subjectId: string): Promise<string | null> {
    const events = await readTypedStream<SubjectEvent>(this.events, subjectStream(subjectId));
    const erased = events.find((e) => e.type === 'SubjectErased');
    return erased?.type === 'SubjectErased' ? erased.data.erasedAt : null;
  }

  private async consentEvents(subjectId: string): Promise<ConsentEvent[]> {
    return readTypedStream<ConsentEvent>(this.events, consentStream(subjectId));
  }
}

function checkedIds(subjectIds: readonly unknown[]): string[] {
  return subjectIds.map((id, i) => {
    if (!isUuid(id)) throw badParam(`subjectIds.${i}`, 'must be a UUID');
    return id.toLowerCase();
  });
}

function gateReason(status: ConsentStatus): GateReason {
  return status === 'never' ? 'never_asked' : (status as GateReason);
}
