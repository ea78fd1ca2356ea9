/**
 * Normal forms of the lookup values (email, phone) that the blind index hashes: two spellings
 * of one address or number must give one hash, or a lookup misses and a duplicate slips in.
 * The forms of earlier versions are kept (`legacy…`) so entries hashed before can still be
 * found, by hashing those forms too; nothing has to be decrypted to migrate.
 */
import {
  isSupportedCountry,
  parsePhoneNumberFromString,
  type CountryCode,
} from 'libphonenumber-js';
import { domainToUnicode } from 'node:url';

export const DEFAULT_PHONE_REGION = 'RU';

/**
 * Characters that render as nothing: zero-width space and joiners, word joiner, BOM, soft
 * hyphen, bidi and other format controls, variation selectors.
 */
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\p{Cf}]/gu;

/** NFKC (full-width and other compatibility forms fold to the plain ones), invisibles removed. */
function folded(value: string): string {
  return value.normalize('NFKC').replace(INVISIBLE, '').normalize('NFKC').trim();
}

const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;

/**
 * The email's normal form: NFKC, invisible characters removed, lowercased, an ACE (`xn--`)
 * domain turned into its Unicode form. Null when it is not an address, or when a label of its
 * domain mixes scripts (`exаmple.com` with a Cyrillic `а`): such a domain is a look-alike, not
 * a real one (registries refuse mixed-script labels), and would index apart from the address
 * it imitates. `emailProblem` says which.
 */
export function normalizeEmail(value: unknown): string | null {
  const checked = checkEmail(value);
  return 'email' in checked ? checked.email : null;
}

/** Why a value is not an acceptable email address, or null when it is one. */
export function emailProblem(value: unknown): string | null {
  const checked = checkEmail(value);
  return 'problem' in checked ? checked.problem : null;
}

function checkEmail(value: unknown): { email: string } | { problem: string } {
  const invalid = { problem: 'is not a valid email address' };
  if (typeof value !== 'string' || value.length > 1000) return invalid;
  let email = folded(value).toLowerCase().normalize('NFKC');
  if (email.length > 254 || !EMAIL.test(email)) return invalid;
  const at = email.lastIndexOf('@');
  let domain = email.slice(at + 1);
  if (domain.split('.').some((label) => label.startsWith('xn--'))) {
    domain = domainToUnicode(domain).normalize('NFKC');
    if (domain === '') return invalid;
    email = `${email.slice(0, at)}@${domain}`;
    if (email.length > 254 || !EMAIL.test(email)) return invalid;
  }
  if (domain.split('.').some(mixesScripts))
    return { problem: 'has a domain that mixes alphabets (e.g. Latin with Cyrillic)' };
  return { email };
}

/** The scripts a letter may be in; anything else counts as one "other" script. */
const SCRIPTS = [
  'Latin',
  'Cyrillic',
  'Greek',
  'Armenian',
  'Georgian',
  'Hebrew',
  'Arabic',
  'Syriac',
  'Thaana',
  'Devanagari',
  'Bengali',
  'Gurmukhi',
  'Gujarati',
  'Tamil',
  'Telugu',
  'Kannada',
  'Malayalam',
  'Sinhala',
  'Thai',
  'Lao',
  'Tibetan',
  'Myanmar',
  'Khmer',
  'Ethiopic',
  'Cherokee',
  'Mongolian',
  'Han',
  'Hiragana',
  'Katakana',
  'Bopomofo',
  'Hangul',
] as const;
const SCRIPT_PATTERNS = SCRIPTS.map(
  (script) => [script, new RegExp(`\\p{Script=${script}}`, 'u')] as const,
);
/** Script sets one label may mix (Unicode TS #39, "highly restrictive"). */
const ALLOWED_MIXES: ReadonlyArray<ReadonlySet<string>> = [
  new Set(['Latin', 'Han', 'Hiragana', 'Katakana']),
  new Set(['Latin', 'Han', 'Bopomofo']),
  new Set(['Latin', 'Han', 'Hangul']),
];

/** True when the letters of `label` come from more than one script (beyond the CJK mixes). */
export function mixesScripts(label: string): boolean {
  const scripts = new Set<string>();
  for (const char of label) {
    if (!/\p{L}/u.test(char)) continue; // digits, hyphens, combining marks: any script
    scripts.add(SCRIPT_PATTERNS.find(([, pattern]) => pattern.test(char))?.[0] ?? 'other');
  }
  if (scripts.size <= 1) return false;
  return !ALLOWED_MIXES.some((allowed) => [...scripts].every((script) => allowed.has(script)));
}

/** Digits with separators, an optional leading "+" (or "00" for it); no letters. */
const PHONE_TEXT = /^\+?[\d\s\-.()]+$/;

export function isSupportedPhoneRegion(region: string): boolean {
  return /^[A-Z]{2}$/.test(region) && isSupportedCountry(region);
}

/**
 * The number in E.164 (`+79165551234`), read as written in `region` when it has no country
 * code: `+7 916 555-12-34`, `79165551234`, `89165551234` and `8 (916) 555-12-34` are one
 * number in RU; a leading `00` is the international prefix (`0044…` is `+44…`). Null unless it
 * is a possible number (its length fits its country's plan; libphonenumber-js).
 */
export function normalizePhone(
  value: unknown,
  region: string = DEFAULT_PHONE_REGION,
): string | null {
  if (typeof value !== 'string' || value.length > 100) return null;
  const text = folded(value);
  if (!PHONE_TEXT.test(text)) return null;
  let compact = text.replace(/[\s\-.()]/g, '');
  if (compact.startsWith('00')) compact = `+${compact.slice(2)}`;
  if (!/^\+?\d{7,15}$/.test(compact)) return null;
  const parsed = parsePhoneNumberFromString(compact, region as CountryCode);
  return parsed?.isPossible() ? parsed.number : null;
}

/** The email's normal form before issue 12: trimmed, NFC, lowercased. */
export function legacyNormalizeEmail(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const email = value.trim().normalize('NFC').toLowerCase();
  if (email.length > 254) return null;
  return EMAIL.test(email) ? email : null;
}

/** The phone's normal form before issue 12: separators removed, 7-15 digits, optional "+". */
export function legacyNormalizePhone(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const phone = value.trim().replace(/[\s\-.()]/g, '');
  return /^\+?\d{7,15}$/.test(phone) ? phone : null;
}

/**
 * The forms under which a value may have been indexed before issue 12, for a lookup to query
 * beside the current one. For an email: the legacy form of what was asked and of its current
 * form. For a phone: the legacy forms of how the number may have been typed, i.e. the asked
 * text, `+<cc><nsn>`, `<cc><nsn>`, `00<cc><nsn>`, the national form with its trunk prefix
 * (`89165551234`) and the national number alone.
 */
export function legacyLookupForms(
  field: 'email' | 'phone',
  value: string,
  region: string = DEFAULT_PHONE_REGION,
): string[] {
  const forms = new Set<string>();
  const add = (form: string | null) => form !== null && forms.add(form);
  if (field === 'email') {
    add(legacyNormalizeEmail(value));
    const current = normalizeEmail(value);
    if (current) add(legacyNormalizeEmail(current));
    return [...forms];
  }
  add(legacyNormalizePhone(value));
  const e164 = normalizePhone(value, region);
  const parsed = e164 && parsePhoneNumberFromString(e164);
  if (parsed) {
    const digits = e164!.slice(1);
    for (const form of [
      e164,
      digits,
      `00${digits}`,
      parsed.formatNational().replace(/\D/g, ''),
      String(parsed.nationalNumber),
    ])
      add(legacyNormalizePhone(form));
  }
  return [...forms];
}
