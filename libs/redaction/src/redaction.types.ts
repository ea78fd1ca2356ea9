/**
 * The contract of the redaction engine (issue 17): free text in, the same text with personal
 * data replaced by typed, numbered placeholders out, plus the mapping that reverses it. The
 * engine is pure (no I/O, no keys): the caller decrypts the customer's own values through the
 * audited path and passes them in, and stores the mapping encrypted under the customer's key.
 */

/** The kinds of personal data the engine finds; each names its placeholder, e.g. `[PHONE_1]`. */
export const ENTITY_TYPES = [
  'NAME',
  'EMAIL',
  'PHONE',
  'CARD',
  'IBAN',
  'PASSPORT',
  'INN',
  'SNILS',
  'OGRN',
  'BIRTHDATE',
  'ADDRESS',
] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];

/** The customer's own values, in clear, for the duration of one call. */
export interface KnownValues {
  /** Full names as stored (e.g. "Иванова Мария Петровна", "Mary Smith"). */
  readonly names?: readonly string[];
  readonly emails?: readonly string[];
  readonly phones?: readonly string[];
  /** Other stored values to find verbatim (addresses, birth dates), with their type. */
  readonly other?: readonly { readonly type: EntityType; readonly value: string }[];
}

export interface RedactOptions {
  readonly known?: KnownValues;
}

/** One replaced span: where it was in the input, its type and its placeholder. */
export interface RedactedEntity {
  readonly placeholder: string;
  readonly type: EntityType;
  /** The original text of the span (personal data: never log or store it in clear). */
  readonly value: string;
  readonly start: number;
  readonly end: number;
  /** Whether it matched one of the customer's own values rather than a pattern or dictionary. */
  readonly source: 'known' | 'pattern' | 'dictionary';
}

export interface RedactionResult {
  readonly text: string;
  readonly entities: readonly RedactedEntity[];
  /** How many distinct placeholders of each type the text now holds. */
  readonly counts: Partial<Record<EntityType, number>>;
  /** placeholder → original value; the same value always gets the same placeholder. */
  readonly mapping: Readonly<Record<string, string>>;
}
