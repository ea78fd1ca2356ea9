import {
  consentDecider,
  consentEventTime,
  consentStream,
  consentViewAt,
  effectiveStatus,
  gone,
  notFound,
  parseIsoTimestamp,
  invalid,
  type ConsentEvent,
  type ConsentStatus,
  type PurposeConsent,
  type PurposeState,
  type PurposeEvent,
  type RecordConsent,
} from '@custodian/domain';
import {
  deterministicEventId,
  EVENT_STORE,
  newEventId,
  type EventStore,
} from '@custodian/event-store';
import {
  CLOCK,
  CommandExecutor,
  CUSTODIAN_CONFIG,
  ProjectionReader,
  WriteTracker,
  isUuid,
  badParam,
  type Clock,
  type CommandMeta,
  type CustodianConfig,
} from '@custodian/platform';
import { consentStateId, type ConsentReceiptDocument } from '@custodian/projections';
import { READ_STORE, type ReadStore } from '@custodian/read-store';
import { KEY_STORE, type KeyStore } from '@custodian/crypto';
import { Inject, Injectable } from '@nestjs/common';
import { PurposesService } from '../purposes/purposes.service';
import type { RecordConsentDto } from './record-consent.dto';

export type GateReason =
  'revoked' | 'expired' | 'stale' | 'never_asked' | 'erased' | 'purpose_inactive';

@Injectable()
export class ConsentsService {
  constructor(
    private readonly executor: CommandExecutor,
    private readonly purposes: PurposesService,
    private readonly projections: ProjectionReader,
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Inject(READ_STORE) private readonly reads: ReadStore,
    @Inject(CUSTODIAN_CONFIG) private readonly config: CustodianConfig,
    @Inject(KEY_STORE) private readonly keyStore: KeyStore,
    private readonly writes: WriteTracker,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async record(subjectId: string, body: RecordConsentDto, gpc: boolean, meta: CommandMeta) {
    if (await this.keyStore.destroyed(subjectId)) throw gone(subjectId);
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
        collectionPoint: body.evidence.collectionPoint,
        method: body.evidence.method,
        language: body.evidence.language,
        jurisdiction: body.evidence.jurisdiction,
        ...(body.evidence.proofSha256 ? { proofSha256: body.evidence.proofSha256 } : {}),
      },
      expiresAt: expiresAt?.toISOString() ?? null,
      receiptId,
      gpc,
    };
    let purpose: PurposeState | null = null;
    const outcome = await this.executor.execute(
      consentStream(subjectId),
      consentDecider,
      command,
      async () => ({
        now: meta.now,
        purpose: (purpose = await this.purposes.current(body.purposeId)),
        gpcPurposes: gpc ? await this.purposes.gpcCovered() : [],
        gpcReceiptId: (purposeId: string) =>
          deterministicEventId(`${receiptId}:gpc:${purposeId}`, 0),
      }),
      meta,
    );
    const [primary, ...optOuts] = outcome.events as unknown as ConsentEvent[];
    purpose ??= await this.purposes.current(primary.data.purposeId);
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

  /** State per purpose, now or at `asOf`, replayed from the events themselves. */
  async state(subjectId: string, asOf: string | undefined) {
    let at = this.clock.now();
    if (asOf !== undefined) {
      const parsed = parseIsoTimestamp(asOf);
      if (!parsed) throw badParam('asOf', 'must be an ISO-8601 timestamp with a time zone');
      at = parsed;
    }
    const [consents, purposeIds] = await Promise.all([
      this.consentEvents(subjectId),
      this.purposes.allIds(),
    ]);
    const histories = new Map<string, PurposeEvent[]>();
    await Promise.all(
      purposeIds.map(async (id) => histories.set(id, await this.purposes.history(id))),
    );
    return { subjectId, asOf: at.toISOString(), purposes: consentViewAt(consents, histories, at) };
  }

  async history(subjectId: string) {
    const recorded = await this.events.readStream(consentStream(subjectId));
    return {
      subjectId,
      events: recorded.map((event) => {
        const e = event as unknown as ConsentEvent;
        return {
          eventId: event.id,
          type: e.type,
          purposeId: e.data.purposeId,
          receiptId: e.data.receiptId,
          noticeVersion: e.data.noticeVersion,
          legalBasis: e.data.legalBasis,
          evidence: e.data.evidence,
          expiresAt: e.type === 'ConsentGranted' ? e.data.expiresAt : null,
          trigger: e.type === 'ConsentRevoked' ? e.data.trigger : 'request',
          at: consentEventTime(e),
          recordedBy: event.metadata.actor ?? null,
        };
      }),
    };
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
    const purpose = await this.purposes.current(doc.purposeId);
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

  /** Who may be contacted for a purpose, and why not for the rest. */
  async gate(purposeId: string, subjectIds: readonly unknown[]) {
    const ids: string[] = [];
    subjectIds.forEach((id, i) => {
      if (!isUuid(id)) throw badParam(`subjectIds.${i}`, 'must be a UUID');
      ids.push(id.toLowerCase());
    });
    const purpose = await this.purposes.current(purposeId);
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
    const [docs, erased] = await Promise.all([
      this.reads.getMany(
        collection,
        unique.map((id) => consentStateId(id, purposeId)),
      ),
      // Erasure destroys the key first-hand: the key store knows at once, with no projection lag.
      this.keyStore.destroyedAmong(unique),
    ]);
    const now = this.clock.now();
    const moment = now.toISOString();
    const needsConsent = purpose.legalBasis === 'consent';
    const allowed: string[] = [];
    const denied: Array<{ subjectId: string; reason: GateReason }> = [];
    for (const subjectId of unique) {
      if (erased.has(subjectId)) {
        denied.push({ subjectId, reason: 'erased' });
        continue;
      }
      const doc = docs.get(consentStateId(subjectId, purposeId)) as PurposeConsent | undefined;
      const status = effectiveStatus(doc, purpose, moment);
      // Other legal bases need no consent, but an objection (revocation) still stops contact.
      const ok = status === 'granted' || (!needsConsent && status !== 'revoked');
      if (ok) allowed.push(subjectId);
      else denied.push({ subjectId, reason: gateReason(status) });
    }
    return { purposeId, checkedAt: moment, allowed, denied };
  }

  private async consentEvents(subjectId: string): Promise<ConsentEvent[]> {
    return (await this.events.readStream(consentStream(subjectId))) as unknown as ConsentEvent[];
  }
}

function gateReason(status: ConsentStatus): GateReason {
  return status === 'never' ? 'never_asked' : (status as GateReason);
}
