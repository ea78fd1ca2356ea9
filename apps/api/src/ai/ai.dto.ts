import { PURPOSE_ID_PATTERN } from '@custodian/platform';
import { IsOptional, IsString, IsUUID, Matches, ValidateBy } from 'class-validator';
import { JSONSchema } from 'class-validator-jsonschema';

/** A kind of insight: a short label such as `sentiment` or `churn_risk`, never free text. */
export const INSIGHT_KIND = /^[a-z][a-z0-9_.-]{0,63}$/;
/** A tag: a short label of letters (any script), digits, "_", "-", "." or ":", at most 64. */
export const INSIGHT_TAG = /^[\p{L}\p{N}][\p{L}\p{N}_.:-]{0,63}$/u;
/** Scores are finite numbers within ±1e9. */
export const INSIGHT_SCORE_LIMIT = 1e9;

export class RedactTextDto {
  /** The text to redact; its size is bounded by `CUSTODIAN_REDACTION_MAX_BYTES` (UTF-8 bytes). */
  @IsString({ message: 'text must be a string' }) text!: string;
  /** The customer the text is about, if known: their own values are found and kept reversible. */
  @IsOptional() @IsUUID('all', { message: 'subjectId must be a UUID' }) subjectId?: string;
  @Matches(PURPOSE_ID_PATTERN, { message: 'purposeId must be a purpose id' }) purposeId!: string;
  /** The AI connector the text will be sent to (the connector registry). */
  @Matches(PURPOSE_ID_PATTERN, { message: 'connectorId must be a connector id' })
  connectorId!: string;
}

export class RestoreTextDto {
  /** The model's answer, holding the redaction's placeholders. */
  @IsString({ message: 'text must be a string' }) text!: string;
}

export class RecordInsightDto {
  @Matches(PURPOSE_ID_PATTERN, { message: 'purposeId must be a purpose id' }) purposeId!: string;
  @Matches(PURPOSE_ID_PATTERN, { message: 'connectorId must be a connector id' })
  connectorId!: string;
  /** The redaction whose text the connector analysed. */
  @IsUUID('all', { message: 'redactionId must be a UUID' }) redactionId!: string;
  @Matches(INSIGHT_KIND, {
    message: 'kind must be 1-64 lowercase letters, digits, "_", "." or "-", starting with a letter',
  })
  kind!: string;
  /** A tag (short label) or a score (a number). */
  @JSONSchema(() => ({
    description: 'a tag (1-64 letters, digits, "_", ".", ":" or "-") or a score (a number)',
    oneOf: [
      { type: 'string', minLength: 1, maxLength: 64, example: 'negative' },
      { type: 'number', minimum: -INSIGHT_SCORE_LIMIT, maximum: INSIGHT_SCORE_LIMIT },
    ],
  }))
  @ValidateBy({
    name: 'insightValue',
    validator: {
      validate: (value: unknown) =>
        (typeof value === 'string' && INSIGHT_TAG.test(value)) ||
        (typeof value === 'number' &&
          Number.isFinite(value) &&
          Math.abs(value) <= INSIGHT_SCORE_LIMIT),
      defaultMessage: () =>
        'value must be a tag (1-64 letters, digits, "_", ".", ":" or "-") or a finite number within ±1e9',
    },
  })
  value!: string | number;
}
