import { applyDecorators } from '@nestjs/common';
import { IsNotEmpty, IsString, MaxLength, ValidateBy } from 'class-validator';

// One character either side of "@" is enough to tell, and keeps the test linear in the text's
// length (a "+" before the "@" would backtrack quadratically on a long text with no "@").
const EMAIL_LIKE = /[^\s@]@[^\s@]+\.[^\s@]/;
// Nine or more digits in a run that may hold spaces, dots, dashes and brackets: a phone number.
const PHONE_LIKE = /\+?\d(?:[\s().-]{0,2}\d){8,}/;

/**
 * Free text written by staff about their work (a justification, an incident note). It is
 * stored in clear in the event log, so it must not carry customers' contact details: text
 * that looks like an email address or a phone number is refused.
 */
export function OperationalText(maxLength: number, minLength = 1): PropertyDecorator {
  return applyDecorators(
    IsString(),
    IsNotEmpty(),
    MaxLength(maxLength),
    ValidateBy({
      name: 'operationalText',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' &&
          value.length <= maxLength &&
          value.trim().length >= minLength &&
          !EMAIL_LIKE.test(value) &&
          !PHONE_LIKE.test(value),
        defaultMessage: (args) =>
          `$property must be at least ${minLength} characters of text with no email address or phone number in it (it is stored in the audit log)`.replace(
            '$property',
            args?.property ?? 'text',
          ),
      },
    }),
  );
}
