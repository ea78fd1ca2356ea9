/**
 * AI processing (issue 17): text redacted before it goes to an AI connector, and the results
 * kept about a customer. Neither event holds the text, a value found in it or any hash of one:
 * the pseudonym mapping and an insight's value are ciphertext under the customer's own data key,
 * so an erasure (which destroys that key) shreds them.
 */
import type { DomainEvent } from '../shared/decider';

/** Streams `redaction-<redactionId>`: one event each. */
export const redactionStream = (redactionId: string) => `redaction-${redactionId}`;
/** Streams `insights-<subjectId>`: every insight kept about a customer. */
export const insightsStream = (subjectId: string) => `insights-${subjectId}`;

/**
 * The name the pseudonym mapping is encrypted under (its AAD, with the customer's id). Its
 * plaintext names the redaction it belongs to, so a mapping cannot be replayed into another.
 */
export const REDACTION_MAPPING_FIELD = 'redactionMapping';
/** Insights are shown and audited as one field; each value is bound to its own id. */
export const INSIGHTS_FIELD = 'insights';
export const insightField = (insightId: string) =>
  `${INSIGHTS_FIELD}.${insightId.replace(/-/g, '')}`;

export type TextRedacted = DomainEvent<
  'TextRedacted',
  {
    redactionId: string;
    purposeId: string;
    connectorId: string;
    /** Null when the caller named no customer (no customer key: no mapping is kept). */
    subjectId: string | null;
    actorId: string;
    role: string;
    /** Distinct placeholders per type (`NAME`, `PHONE`…): counts, never values. */
    counts: Record<string, number>;
    /** The placeholder → value mapping, sealed under the customer's data key; null when not kept. */
    mapping: { keyId: string; sealed: string } | null;
    /** After this the mapping restores nothing (null when none is kept). */
    expiresAt: string | null;
    requestId: string;
    at: string;
  }
>;

export type InsightRecorded = DomainEvent<
  'InsightRecorded',
  {
    insightId: string;
    subjectId: string;
    /** Its source: the purpose, the AI connector and the redaction whose text it came from. */
    purposeId: string;
    connectorId: string;
    redactionId: string;
    /** A short label (`sentiment`, `churn_risk`): a format, never free text. */
    kind: string;
    /** `tag` (a short label) or `score` (a number); the value itself is sealed. */
    valueType: 'tag' | 'score';
    keyId: string;
    /** The value, encrypted under the customer's key (field `insights.<insightId without dashes>`). */
    value: string;
    actorId: string;
    role: string;
    requestId: string;
    at: string;
  }
>;

export type AiEvent = TextRedacted | InsightRecorded;
