/**
 * Checksums of the identifiers the engine finds by pattern. Each takes the identifier's digits
 * (or, for IBAN, its characters) with separators already removed and says whether it is valid.
 */

/** The digits of `s`, every other character dropped. */
export function digitsOf(s: string): string {
  return s.replace(/\D+/g, '');
}

/** Payment card numbers: 13–19 digits passing the Luhn check. */
export function isValidCard(digits: string): boolean {
  if (!/^\d{13,19}$/.test(digits)) return false;
  if (/^(\d)\1+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** IBAN (ISO 13616): 15–34 characters, country letters, check digits, mod 97 = 1. */
export function isValidIban(raw: string): boolean {
  const iban = raw.replace(/[\s-]+/g, '').toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(iban)) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let rem = 0;
  for (const ch of rearranged) {
    const code = ch.charCodeAt(0);
    const value = code >= 65 ? String(code - 55) : ch;
    for (const d of value) rem = (rem * 10 + (d.charCodeAt(0) - 48)) % 97;
  }
  return rem === 1;
}

const weighted = (digits: string, weights: readonly number[]): number =>
  weights.reduce((sum, w, i) => sum + w * (digits.charCodeAt(i) - 48), 0);

/** Russian INN: 10 digits (organisation) or 12 digits (person), with their check digits. */
export function isValidInn(digits: string): boolean {
  if (/^(\d)\1+$/.test(digits)) return false;
  if (/^\d{10}$/.test(digits)) {
    const c = (weighted(digits, [2, 4, 10, 3, 5, 9, 4, 6, 8]) % 11) % 10;
    return c === digits.charCodeAt(9) - 48;
  }
  if (/^\d{12}$/.test(digits)) {
    const c11 = (weighted(digits, [7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) % 11) % 10;
    const c12 = (weighted(digits, [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) % 11) % 10;
    return c11 === digits.charCodeAt(10) - 48 && c12 === digits.charCodeAt(11) - 48;
  }
  return false;
}

/** The check number of a SNILS from its first nine digits. */
export function snilsCheck(nine: string): number {
  const sum = weighted(nine, [9, 8, 7, 6, 5, 4, 3, 2, 1]);
  if (sum < 100) return sum;
  if (sum === 100 || sum === 101) return 0;
  const r = sum % 101;
  return r === 100 ? 0 : r;
}

/** Russian SNILS: 11 digits whose last two are the check number of the first nine. */
export function isValidSnils(digits: string): boolean {
  if (!/^\d{11}$/.test(digits) || /^(\d)\1+$/.test(digits)) return false;
  return snilsCheck(digits.slice(0, 9)) === Number(digits.slice(9));
}

/** OGRN (13 digits) or OGRNIP (15 digits) with its check digit. */
export function isValidOgrn(digits: string): boolean {
  if (/^\d{13}$/.test(digits)) {
    return Number(BigInt(digits.slice(0, 12)) % 11n) % 10 === digits.charCodeAt(12) - 48;
  }
  if (/^\d{15}$/.test(digits)) {
    return Number(BigInt(digits.slice(0, 14)) % 13n) % 10 === digits.charCodeAt(14) - 48;
  }
  return false;
}
