import { parseIsoTimestamp } from '@custodian/domain';
import { ValidateBy } from 'class-validator';

/**
 * An ISO-8601 timestamp with a time zone that names a real moment: `2030-02-31T00:00:00Z`,
 * hour 24 or minute 60 are refused, not rolled over into another day.
 */
export function IsoTimestamp(): PropertyDecorator {
  return ValidateBy({
    name: 'isoTimestamp',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && parseIsoTimestamp(value) !== null,
      defaultMessage: (args) =>
        `${args?.property ?? 'value'} must be an ISO-8601 timestamp with a time zone, on a real calendar day`,
    },
  });
}
