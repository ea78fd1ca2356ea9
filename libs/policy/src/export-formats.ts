/** An export row: column → value, null for a value that is absent or hidden. */
export type ExportRow = Record<string, string | null>;

/** One NDJSON line: JSON escapes line breaks inside values, so a row never spans two lines. */
export function ndjsonLine(row: ExportRow): string {
  return `${JSON.stringify(row)}\n`;
}

export function csvHeader(columns: readonly string[]): string {
  return csvRecord(columns);
}

/** The row's values in `columns` order; a column the row lacks, or null, is an empty field. */
export function csvLine(columns: readonly string[], row: ExportRow): string {
  // Own properties only: a column named e.g. "constructor" must not read Object.prototype.
  return csvRecord(columns.map((column) => (Object.hasOwn(row, column) ? row[column] : null)));
}

/** RFC 4180: fields joined by commas, the record ended by CRLF. */
function csvRecord(values: readonly (string | null | undefined)[]): string {
  return `${values.map((value) => csvField(value ?? '')).join(',')}\r\n`;
}

/**
 * A spreadsheet opening the file would run a cell starting with "=", "+", "-" or "@" as a
 * formula (and TAB or CR can hide such a start), so those cells get a leading "'", which makes
 * them text. A "+" or "-" followed only by digits, spaces and "()-." is a phone number or a
 * number, which cannot call anything, and stays as written.
 */
const FORMULA_START = /^[=@\t\r]/;
const SIGNED = /^[+-]/;
const NUMBER_LIKE = /^[0-9\s().-]*$/;

function csvField(value: string): string {
  const safe =
    FORMULA_START.test(value) || (SIGNED.test(value) && !NUMBER_LIKE.test(value.slice(1)))
      ? `'${value}`
      : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
