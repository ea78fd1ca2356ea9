/** How a role sees one field. */
export type Mask = 'full' | 'partial' | 'hidden';

/**
 * Partial views that keep a value recognisable to the person it is shown to, and useless to
 * anyone else: a phone as `+7 *** ***-45-67`, an email as `i***@example.com`, a name as
 * `Ivan P.` (a one-word name as `M***`), a birth date as its year, anything else as its first character.
 */
export function maskValue(field: string, value: string, mask: Mask): string | null {
  if (mask === 'hidden') return null;
  if (mask === 'full') return value;
  switch (field) {
    case 'phone':
      return maskPhone(value);
    case 'email':
      return maskEmail(value);
    case 'name':
      return maskName(value);
    case 'birthDate':
      return value.slice(0, 4);
    default:
      return `${[...value.trim()][0] ?? ''}***`;
  }
}

function maskPhone(value: string): string {
  const digits = value.replace(/\D/g, '');
  const last = digits.slice(-4);
  // The country code as written (the first group after "+"), so the reader still knows the country.
  const written = value.trim();
  const group =
    /^\+(\d{1,3})[\s(-]/.exec(written)?.[1] ?? (written.startsWith('+') ? digits[0] : '');
  const country = group ? `+${group} ` : '';
  return `${country}*** ***-${last.slice(0, 2)}-${last.slice(2)}`;
}

function maskEmail(value: string): string {
  const at = value.lastIndexOf('@');
  if (at < 1) return '***';
  return `${value[0]}***${value.slice(at)}`;
}

function maskName(value: string): string {
  const parts = value.trim().split(/\s+/);
  // One word may be the whole name the person is known by: show no more of it than of a surname.
  if (parts.length === 1) return `${[...parts[0]][0] ?? ''}***`;
  return `${parts[0]} ${[...parts[parts.length - 1]][0]}.`;
}
