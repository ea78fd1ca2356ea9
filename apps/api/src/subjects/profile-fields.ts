import { catalogueFields, type FieldDefinition } from '@custodian/domain';
import { DEFAULT_PHONE_REGION, emailProblem, normalizePhone } from '@custodian/crypto';

export interface FieldProblem {
  field: string;
  problem: string;
}

const LIMITS: Record<string, number> = { name: 200, address: 500 };
const CUSTOM_LIMIT = 1000;

/**
 * Checks one profile value against its field's format. Problems never repeat the value: it
 * is personal data and must not reach an error body or a log.
 */
export function checkValue(
  name: string,
  value: unknown,
  now: Date,
  phoneRegion = DEFAULT_PHONE_REGION,
): string | null {
  if (typeof value !== 'string') return 'must be a string';
  const trimmed = value.trim();
  if (trimmed.length === 0) return 'must not be empty';
  switch (name) {
    case 'email':
      return emailProblem(trimmed);
    case 'phone':
      return normalizePhone(trimmed, phoneRegion) === null
        ? `is not a valid phone number (digits and separators, with a country code unless it is a ${phoneRegion} number)`
        : null;
    case 'birthDate': {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(trimmed)) return 'must be a date, YYYY-MM-DD';
      const date = new Date(`${trimmed}T00:00:00Z`);
      if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== trimmed)
        return 'is not a real date';
      if (date.getTime() > now.getTime()) return 'must not be in the future';
      return null;
    }
    default: {
      const limit = LIMITS[name] ?? CUSTOM_LIMIT;
      return trimmed.length > limit ? `must be at most ${limit} characters` : null;
    }
  }
}

/**
 * Validates a profile (or a profile change, where null removes a field): every field must be
 * in the catalogue, well formed, and justified by an active purpose that lists it among its
 * minimum fields (data minimisation). Returns trimmed values, or every problem found. `now` is
 * the request's time (a birth date must not be after it); a phone without a country code is
 * read in `phoneRegion`.
 */
export function checkProfile(
  profile: Record<string, unknown>,
  custom: Record<string, FieldDefinition>,
  justified: ReadonlySet<string>,
  allowRemoval: boolean,
  now: Date,
  phoneRegion = DEFAULT_PHONE_REGION,
): { values: Record<string, string | null>; problems: FieldProblem[] } {
  const catalogue = catalogueFields(custom);
  const values: Record<string, string | null> = {};
  const problems: FieldProblem[] = [];
  for (const [name, value] of Object.entries(profile)) {
    const field = `profile.${name}`;
    // Own names only: `constructor` or `toString` are in every object, not in the catalogue.
    if (!Object.hasOwn(catalogue, name)) {
      problems.push({ field, problem: 'is not a field of the catalogue' });
      continue;
    }
    if (value === null && allowRemoval) {
      values[name] = null;
      continue;
    }
    const problem = checkValue(name, value, now, phoneRegion);
    if (problem) {
      problems.push({ field, problem });
      continue;
    }
    if (!justified.has(name)) {
      problems.push({ field, problem: 'no active purpose justifies collecting this field' });
      continue;
    }
    values[name] = (value as string).trim();
  }
  return { values, problems };
}
