import { isClosedFormat } from '@custodian/policy';
import { ValidateBy } from 'class-validator';

/**
 * A short identifier kept in the audit log in clear (a collection point, a source, a
 * destination): it must match one of its closed formats (`libs/policy/src/personal-text.ts`)
 * and hold nothing the screen reads as an email address or a phone number. The message says
 * what is accepted and never repeats the value.
 */
export function ClosedFormat(accepted: string, ...formats: RegExp[]): PropertyDecorator {
  return ValidateBy({
    name: 'closedFormat',
    validator: {
      validate: (value: unknown) => isClosedFormat(value, ...formats),
      defaultMessage: (args) => `${args?.property ?? 'value'} must be ${accepted}`,
    },
  });
}
