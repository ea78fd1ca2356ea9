import { coveredByGpc, gone, notFound, subjectStream, type PurposeState } from '@custodian/domain';
import { EVENT_STORE, type EventStore } from '@custodian/event-store';
import {
  ErasureLedger,
  erasureState,
  ProjectionReader,
  type CommandMeta,
} from '@custodian/platform';
import type { PrivacyRequestDocument } from '@custodian/projections';
import { READ_STORE, type ReadStore } from '@custodian/read-store';
import { Inject, Injectable } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { AccessLogQuery } from '../access/access-log.query';
import { AiTransparencyQuery } from '../ai/ai.queries';
import { ConsentStateQuery } from '../consents/consent-state.query';
import { RecordConsentCommand } from '../consents/record-consent.command';
import type { RecordConsentDto } from '../consents/record-consent.dto';
import { OpenPrivacyRequestCommand } from '../privacy-requests/privacy-request.commands';
import type { OpenPrivacyRequestDto } from '../privacy-requests/privacy-requests.dto';
import { AllPurposesQuery } from '../purposes/all-purposes.query';
import { SubjectAccessCommand } from '../subjects/subject-access.command';
import type { CentreAccessEntry, CentreAiAnswer, CentreCase, PurposeCard } from './centre-pages';
import type { CentreJurisdiction, CentreLanguage, CentreSession } from './centre-tokens';

/** The evidence every consent recorded in the centre carries (besides language and jurisdiction). */
export const CENTRE_EVIDENCE = {
  channel: 'privacy-centre',
  collectionPoint: 'privacy-centre',
  /** The customer pressed "Give consent" on a page that showed the notice: an affirmative act. */
  grantMethod: 'checkbox_opt_in',
  withdrawMethod: 'account_settings',
} as const;

/** The ISO 3166 code recorded in consent evidence for each jurisdiction a link names. */
const EVIDENCE_JURISDICTION: Record<CentreJurisdiction, string> = { ru: 'RU', eu: 'EU' };

/**
 * What the centre's pages do, always through the same commands and queries as the API: consents
 * through `RecordConsentCommand`, the data through the audited `SubjectAccessCommand`, requests
 * through `OpenPrivacyRequestCommand`. Nothing here decrypts on its own.
 */
@Injectable()
export class PrivacyCentreService {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly erasures: ErasureLedger,
    private readonly projections: ProjectionReader,
    @Inject(READ_STORE) private readonly reads: ReadStore,
    @Inject(EVENT_STORE) private readonly events: EventStore,
  ) {}

  /** 404 for a customer never registered, 410 once erased. */
  async refuseUnknownOrErased(subjectId: string): Promise<void> {
    const { state } = await erasureState(this.events, subjectStream(subjectId));
    if (!state) throw notFound('subjectId', `subject ${subjectId} is not registered`);
    await this.refuseErased(subjectId);
  }

  async refuseErased(subjectId: string): Promise<void> {
    if (await this.erasures.isErased(subjectId)) throw gone(subjectId);
  }

  /** Every active purpose, in plain words, with the customer's status for it. */
  async purposes(subjectId: string, gpc: boolean): Promise<PurposeCard[]> {
    const [all, state] = await Promise.all([
      this.queries.execute(new AllPurposesQuery()),
      this.queries.execute(new ConsentStateQuery(subjectId)),
    ]);
    const status = new Map(state.purposes.map((p) => [p.purposeId, p.status]));
    return [...all.values()]
      .filter((p) => p.status === 'active')
      .sort((a, b) => a.title.localeCompare(b.title))
      .map((p) => card(p, status.get(p.purposeId) ?? 'never', gpc));
  }

  /** Which purposes train AI on, or have AI analyse, this customer's data (their titles). */
  async aiAnswer(subjectId: string): Promise<CentreAiAnswer> {
    const ai = await this.queries.execute(new AiTransparencyQuery(subjectId));
    const titles = (use: 'training' | 'analysis') =>
      ai.purposes.filter((p) => p.use === use && p.appliesToYou).map((p) => p.title);
    return { training: titles('training'), analysis: titles('analysis') };
  }

  /** The active purpose and its current notice, or null (a form naming anything else is refused). */
  async activePurpose(purposeId: string): Promise<PurposeState | null> {
    const purpose = (await this.queries.execute(new AllPurposesQuery())).get(purposeId);
    return purpose && purpose.status === 'active' ? purpose : null;
  }

  recordConsent(
    session: CentreSession,
    choice: { purposeId: string; action: 'grant' | 'revoke'; noticeVersion: string | undefined },
    language: CentreLanguage,
    gpc: boolean,
    meta: CommandMeta,
    method?: 'gpc_signal',
  ) {
    const body: RecordConsentDto = {
      purposeId: choice.purposeId,
      action: choice.action,
      ...(choice.noticeVersion ? { noticeVersion: choice.noticeVersion } : {}),
      evidence: {
        channel: CENTRE_EVIDENCE.channel,
        collectionPoint: CENTRE_EVIDENCE.collectionPoint,
        method:
          method ??
          (choice.action === 'grant'
            ? CENTRE_EVIDENCE.grantMethod
            : CENTRE_EVIDENCE.withdrawMethod),
        language,
        jurisdiction: EVIDENCE_JURISDICTION[session.jurisdiction],
      },
    };
    return this.commands.execute(new RecordConsentCommand(session.subjectId, body, gpc, meta));
  }

  /**
   * A browser that sends `Sec-GPC: 1` opts out of every purpose the signal covers: one revocation
   * through the consent command, which revokes the other covered purposes with it (method
   * `gpc_signal`). Nothing is written when no covered purpose is left to revoke.
   */
  async honourGpc(session: CentreSession, language: CentreLanguage, meta: CommandMeta) {
    const [all, state] = await Promise.all([
      this.queries.execute(new AllPurposesQuery()),
      this.queries.execute(new ConsentStateQuery(session.subjectId)),
    ]);
    const revoked = new Set(
      state.purposes.filter((p) => p.status === 'revoked').map((p) => p.purposeId),
    );
    const first = [...all.values()].find(
      (p) => p.status === 'active' && coveredByGpc(p.flags) && !revoked.has(p.purposeId),
    );
    if (!first) return;
    await this.recordConsent(
      session,
      { purposeId: first.purposeId, action: 'revoke', noticeVersion: undefined },
      language,
      true,
      meta,
      'gpc_signal',
    );
  }

  /**
   * The subject-access bundle, through the audited DSAR command (its `FieldsAccessed` is appended
   * before any value is decrypted), without the ids of the employees who read the data.
   */
  async bundle(subjectId: string, meta: CommandMeta): Promise<Record<string, unknown>> {
    const bundle = await this.commands.execute(new SubjectAccessCommand(subjectId, meta));
    const consents = bundle.consents as {
      current: unknown[];
      history: Array<Record<string, unknown>>;
    };
    return {
      ...bundle,
      consents: {
        current: consents.current,
        history: consents.history.map(({ recordedBy, ...event }) => ({
          ...event,
          recordedBy: withoutId(recordedBy),
        })),
      },
      accessLog: forCustomer(bundle.accessLog as Array<Record<string, unknown>>),
    };
  }

  /** Who read or was refused this customer's data: when, role, purpose; no employee ids. */
  async accessList(subjectId: string): Promise<CentreAccessEntry[]> {
    return forCustomer(await this.queries.execute(new AccessLogQuery(subjectId)));
  }

  openRequest(
    session: CentreSession,
    kind: OpenPrivacyRequestDto['kind'],
    meta: CommandMeta,
  ): Promise<{ requestId: string }> {
    const dto: OpenPrivacyRequestDto = {
      subjectId: session.subjectId,
      kind,
      jurisdiction: session.jurisdiction,
      receivedVia: 'privacy-centre',
    };
    return this.commands.execute(new OpenPrivacyRequestCommand(dto, meta));
  }

  /** The customer's own cases, newest first (from the privacy_requests read model). */
  async cases(subjectId: string): Promise<CentreCase[]> {
    await this.projections.catchUp('privacy_requests');
    const collection = await this.projections.collection('privacy_requests');
    const page = await this.reads.find(collection, {
      where: { subjectId },
      sort: { field: 'receivedAt', direction: 'desc' },
      limit: 100,
    });
    return page.items.map(({ doc }) => {
      const c = doc as PrivacyRequestDocument;
      return {
        requestId: c.requestId,
        kind: c.kind,
        status: c.status,
        receivedAt: c.receivedAt,
        dueAt: c.dueAt,
      };
    });
  }
}

function card(purpose: PurposeState, status: string, gpc: boolean): PurposeCard {
  const notice = purpose.notices.at(-1) ?? null;
  return {
    purposeId: purpose.purposeId,
    title: purpose.title,
    description: purpose.description,
    legalBasis: purpose.legalBasis,
    dataCategories: purpose.dataCategories,
    retention: purpose.retention,
    recipients: purpose.recipients,
    aiProcessing: purpose.flags.aiProcessing,
    // Absent on purposes registered before the flag existed (issue 17): no training stated.
    aiTraining: purpose.flags.aiTraining === true,
    notice: notice && { version: notice.version, url: notice.url },
    status,
    gpcCovered: gpc && coveredByGpc(purpose.flags),
  };
}

function withoutId(actor: unknown): { role: unknown } | null {
  return actor && typeof actor === 'object' ? { role: (actor as { role?: unknown }).role } : null;
}

function forCustomer(entries: ReadonlyArray<Record<string, unknown>>): CentreAccessEntry[] {
  return entries.map(({ actorId: _actorId, ...entry }) => entry as unknown as CentreAccessEntry);
}
