/**
 * The screen for text kept in clear (operational text, slugs, destinations, request ids): does
 * it look like it holds an email address or a phone number? And the closed formats for the
 * short identifiers callers send (collection points, sources, export destinations).
 *
 * The screen works on the text as a person would read it: NFKC first (full-width `＠` and `﹫`
 * become `@`, full-width digits become digits), invisible characters (zero-width spaces, soft
 * hyphens…) removed, and the usual disguises of an at-sign (`%40`, `&#64;`, `&commat;`, `(at)`,
 * `[at]`) read as one. Every pattern is linear in the text's length (no nested quantifier can
 * backtrack over more than a few characters).
 */

export type PersonalDataKind = 'email' | 'phone';

/** Anything that may stand for an at-sign once the text is normalised. */
const AT_DISGUISES = /%40|&#0*64;|&#x0*40;|&commat;|[([{<]\s{0,2}at\s{0,2}[)\]}>]/giu;
/** Characters that render as nothing (zero-width space and joiners, soft hyphen, BOM…). */
const INVISIBLE = /\p{Default_Ignorable_Code_Point}/gu;

/** The text as the screen reads it. */
export function normaliseForScreen(text: string): string {
  return text.normalize('NFKC').replace(INVISIBLE, '').replace(AT_DISGUISES, '@');
}

// ── email addresses ───────────────────────────────────────────────────────────────────────────
// A character of a local part (RFC 5322 atext, in any script), and the first of a domain.
const LOCAL = String.raw`[\p{L}\p{M}\p{N}._%+!#$&'*/=?^\x60{|}~-]`;
const DOMAIN_START = String.raw`[\p{L}\p{N}\[]`;
const LABEL = String.raw`[\p{L}\p{N}][\p{L}\p{N}-]{0,62}`;
/** `name@1.2.3`: a package and its version, not an address. */
const VERSION = String.raw`v?\d{1,6}(?:\.\d{1,6}){0,3}(?![\p{L}\p{N}@_.-])`;
/** `ivan@example`, `ivan@example.com`: a local part glued to a domain (no TLD needed). */
const EMAIL_GLUED = new RegExp(`${LOCAL}@(?!${VERSION})${DOMAIN_START}`, 'u');
/** `ivan @ example.com`: spaces around the at-sign, then a domain with a TLD. */
const EMAIL_SPACED = new RegExp(
  String.raw`${LOCAL}\s{0,3}@\s{0,3}${LABEL}(?:\.${LABEL}){0,8}\.\p{L}{2,63}`,
  'u',
);

// ── phone numbers ─────────────────────────────────────────────────────────────────────────────
/** What people put between the digits of a phone number: spaces, brackets, dots, dashes, "_", "/". */
const SEP = String.raw`[\s()\[\]./_\u00B7\u2010-\u2015\u2212-]`;
/** Nine or more digits (any script) with at most four separator characters between any two. */
const PHONE = new RegExp(String.raw`\p{Nd}(?:${SEP}{0,4}\p{Nd}){8,}`, 'u');

// Tokens that are made of digits and separators but are not phone numbers; they are blanked
// before looking for phone numbers (never before looking for email addresses).
const NOT_AFTER_DIGITS = String.raw`(?<!\p{Nd}${SEP}{0,4})`;
const YEAR = String.raw`(?:19|20)\d{2}`;
const MONTH = String.raw`(?:0?[1-9]|1[0-2])`;
const DAY = String.raw`(?:0?[1-9]|[12]\d|3[01])`;
const TIME = String.raw`(?:(?:[T ]|,\s?)(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:[.,]\d{1,9})?)?(?:Z|\s?[+-](?:[01]\d|2[0-3])(?::?[0-5]\d)?)?)?`;
const NOT_SAFE_TOKENS: RegExp[] = [
  // Dates and timestamps: 2024-05-01, 2024-05-01T10:20:30.123+03:00, 2024-05-01 10:20,
  // 01.05.2024 10:20, 05/01/2024. Not when digits and separators come just before (a phone
  // number whose last digits happen to read as a date stays a phone number).
  new RegExp(
    String.raw`${NOT_AFTER_DIGITS}(?:${YEAR}([-/.])${MONTH}\1${DAY}|${DAY}([./-])${MONTH}\2${YEAR}|${MONTH}/${DAY}/${YEAR})${TIME}(?!\p{Nd})`,
    'gu',
  ),
  // UUIDs, ULIDs (with a letter in them) and long hex digests (commit ids, SHA-256).
  /(?<![\p{L}\p{N}-])[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?![\p{L}\p{N}-])/giu,
  /(?<![\p{L}\p{N}])(?=[0-9]{0,25}[a-z])[0-7][0-9a-hjkmnp-tv-z]{25}(?![\p{L}\p{N}])/giu,
  /(?<![\p{L}\p{N}])(?=[0-9]{0,127}[a-f])[0-9a-f]{32,128}(?![\p{L}\p{N}])/giu,
];
const BLANK = '\uFFFC';

/** What the text seems to hold: an email address, a phone number, or nothing (null). */
export function personalDataIn(text: string): PersonalDataKind | null {
  const normal = normaliseForScreen(text);
  if (EMAIL_GLUED.test(normal) || EMAIL_SPACED.test(normal)) return 'email';
  const blanked = NOT_SAFE_TOKENS.reduce((t, pattern) => t.replace(pattern, BLANK), normal);
  if (PHONE.test(blanked)) return 'phone';
  return null;
}

export const looksPersonal = (text: string): boolean => personalDataIn(text) !== null;

// ── closed formats ────────────────────────────────────────────────────────────────────────────

/**
 * A slug: lowercase letters, digits, ".", "_", "-" (and "/" where `slashes`), starting with a
 * letter or digit. No "@", "?", "=", "%", ":", spaces or capitals: it names a thing, it is not
 * a place for data.
 */
export function slugPattern(maxLength: number, slashes = false): RegExp {
  return new RegExp(`^[a-z0-9][a-z0-9._${slashes ? '/' : ''}-]{0,${maxLength - 1}}$`);
}

/** A source (registration `source`, export `filter.source`): a slug of 1-64 characters. */
export const SOURCE_SLUG = slugPattern(64);
/** A collection point as a slug: 1-100 characters, "/" allowed (`shop/checkout-v2`). */
export const COLLECTION_POINT_SLUG = slugPattern(100, true);
/** A named destination (`crm-sandbox`): a slug of 1-64 characters. */
export const DESTINATION_SLUG = slugPattern(64);

const HOST = String.raw`(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.){1,8}[a-z]{2,63}`;
const PORT = String.raw`(?::[1-9]\d{0,4})?`;
const PATH = String.raw`(?:/[A-Za-z0-9._~/-]{0,200})?`;

/**
 * `<scheme>://host[:port][/path]` for the given schemes: a lowercase DNS name with a TLD (no IP
 * address), a path of letters, digits and `._~/-`. No userinfo, no query, no fragment, and no
 * percent-encoding (so no `%40` either).
 */
export function plainUriPattern(schemes: readonly string[]): RegExp {
  return new RegExp(`^(?:${schemes.join('|')})://${HOST}${PORT}${PATH}$`);
}

export const COLLECTION_POINT_URI = plainUriPattern(['https']);
export const DESTINATION_URI = plainUriPattern(['https', 'sftp']);

/** A slug or plain URI that matches its format and that the screen does not flag. */
export function isClosedFormat(value: unknown, ...formats: RegExp[]): value is string {
  return (
    typeof value === 'string' &&
    value.length <= 300 &&
    formats.some((format) => format.test(value)) &&
    !looksPersonal(value)
  );
}

/**
 * A request id a caller may choose (`X-Request-Id`): a UUID, a ULID, or a token of 1-64
 * letters, digits, "_" and "-" that the screen does not flag (no run of nine digits, however
 * separated). Anything else is replaced, never stored.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ULID = /^(?=[0-9]{0,25}[a-z])[0-7][0-9a-hjkmnp-tv-z]{25}$/i;
const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

export function isSafeRequestId(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  if (UUID.test(value) || ULID.test(value)) return true;
  return TOKEN.test(value) && !looksPersonal(value);
}
