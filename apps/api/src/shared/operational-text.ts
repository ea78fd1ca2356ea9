import { applyDecorators } from '@nestjs/common';
import { looksPersonal } from '@custodian/policy';
import { IsNotEmpty, IsString, MaxLength, ValidateBy } from 'class-validator';

/**
 * Free text written by staff about their work (a justification, an incident note). It is
 * stored in clear in the event log, so it must not carry customers' contact details: text
 * that looks like an email address or a phone number is refused (the screen,
 * `libs/policy/src/personal-text.ts`, also reads full-width and disguised at-signs, an address
 * without a TLD, and phone digits with any separators).
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
          !looksPersonal(value),
        defaultMessage: (args) =>
          `$property must be at least ${minLength} characters of text with no email address or phone number in it (it is stored in the audit log)`.replace(
            '$property',
            args?.property ?? 'text',
          ),
      },
    }),
  );
}
