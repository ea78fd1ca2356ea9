import {
  insightsStream,
  redactionStream,
  type InsightRecorded,
  type PurposeState,
  type TextRedacted,
} from '@custodian/domain';
import { EVENT_STORE, readTypedStream, type EventStore } from '@custodian/event-store';
import { Inject } from '@nestjs/common';
import { Query, QueryBus, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { ConsentStateQuery } from '../consents/consent-state.query';
import { recipientsOf } from '../downstream/recipients';
import { AllPurposesQuery } from '../purposes/all-purposes.query';

export type RedactionRecord = TextRedacted['data'];
export type StoredInsight = InsightRecorded['data'];

/** One redaction as recorded (counts and the sealed mapping, never the text); null when unknown. */
export class RedactionQuery extends Query<RedactionRecord | null> {
  constructor(readonly redactionId: string) {
    super();
  }
}

@QueryHandler(RedactionQuery)
export class RedactionHandler implements IQueryHandler<RedactionQuery> {
  constructor(@Inject(EVENT_STORE) private readonly events: EventStore) {}

  async execute({ redactionId }: RedactionQuery): Promise<RedactionRecord | null> {
    const [event] = await readTypedStream<TextRedacted>(this.events, redactionStream(redactionId));
    return event?.data ?? null;
  }
}

/**
 * The insights kept about a customer, values still sealed under the customer's key: the view
 * and the subject-access bundle decrypt them against their own access records.
 */
export class SubjectInsightsQuery extends Query<StoredInsight[]> {
  constructor(readonly subjectId: string) {
    super();
  }
}

@QueryHandler(SubjectInsightsQuery)
export class SubjectInsightsHandler implements IQueryHandler<SubjectInsightsQuery> {
  constructor(@Inject(EVENT_STORE) private readonly events: EventStore) {}

  async execute({ subjectId }: SubjectInsightsQuery): Promise<StoredInsight[]> {
    const events = await readTypedStream<InsightRecorded>(this.events, insightsStream(subjectId));
    return events.map((e) => e.data);
  }
}

/** One purpose that has AI process customers' data, and whether it does so with this customer's. */
export interface AiUse {
  purposeId: string;
  title: string;
  /** `training`: the data trains or fine-tunes models; `analysis`: a model analyses it. */
  use: 'training' | 'analysis';
  legalBasis: string;
  /** The customer's consent for it (`not_asked` when none was ever recorded). */
  consent: string;
  /** Whether the customer's data is used for it now: consent in force, or another legal basis. */
  appliesToYou: boolean;
  connectors: Array<{
    connectorId: string;
    name: string;
    kind: string;
    country: string;
    /** Its declared AI use, when declared: a connector that trains on what it receives counts. */
    ai?: { analysis: boolean; training: boolean };
  }>;
}

export interface AiTransparency {
  /** The answer to "is my data used to train AI?". */
  usedForTraining: boolean;
  /** The answer to "is my data analysed by AI?". */
  usedForAnalysis: boolean;
  purposes: AiUse[];
}

/**
 * "Is my data used to train AI?" for one customer, from the active purposes' flags
 * (`aiProcessing`, `aiTraining`), their legal bases, the customer's consents and the connectors
 * serving each purpose. Facts only: no personal value.
 */
export class AiTransparencyQuery extends Query<AiTransparency> {
  constructor(readonly subjectId: string) {
    super();
  }
}

@QueryHandler(AiTransparencyQuery)
export class AiTransparencyHandler implements IQueryHandler<AiTransparencyQuery> {
  constructor(private readonly queries: QueryBus) {}

  async execute({ subjectId }: AiTransparencyQuery): Promise<AiTransparency> {
    const [state, all] = await Promise.all([
      this.queries.execute(new ConsentStateQuery(subjectId)),
      this.queries.execute(new AllPurposesQuery()),
    ]);
    const status = new Map(state.purposes.map((p) => [p.purposeId, p.status as string]));
    const ai = [...all.values()]
      .filter((p) => p.status === 'active' && p.flags.aiProcessing)
      .sort((a, b) => a.purposeId.localeCompare(b.purposeId));
    const purposes = await Promise.all(
      ai.map(async (p) => aiUse(p, status.get(p.purposeId), state.erasedAt !== null, this.queries)),
    );
    return {
      // Training: a purpose for it, or a connector serving a purpose that declares it trains.
      usedForTraining: purposes.some(
        (p) => p.appliesToYou && (p.use === 'training' || p.connectors.some((c) => c.ai?.training)),
      ),
      usedForAnalysis: purposes.some((p) => p.use === 'analysis' && p.appliesToYou),
      purposes,
    };
  }
}

async function aiUse(
  purpose: PurposeState,
  consent: string | undefined,
  erased: boolean,
  queries: QueryBus,
): Promise<AiUse> {
  const status = consent ?? 'not_asked';
  const connectors = (await recipientsOf(queries, purpose.purposeId))
    .filter((c) => c.status === 'active')
    .map(({ connectorId, name, kind, country, ai }) => ({
      connectorId,
      name,
      kind,
      country,
      ...(ai ? { ai } : {}),
    }));
  return {
    purposeId: purpose.purposeId,
    title: purpose.title,
    use: purpose.flags.aiTraining ? 'training' : 'analysis',
    legalBasis: purpose.legalBasis,
    consent: status,
    appliesToYou: !erased && (purpose.legalBasis === 'consent' ? status === 'granted' : true),
    connectors,
  };
}
