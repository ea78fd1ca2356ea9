/** ISO-8601 duration (e.g. P3Y, P6M, P1Y2M10DT2H30M); no fractional or negative parts. */
const ISO_DURATION = /^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$/;

export function isIsoDuration(value: string): boolean {
  return ISO_DURATION.test(value);
}

/** A full ISO-8601 timestamp with a zone, as produced by Date#toISOString or with an offset. */
export const ISO_TIMESTAMP_PATTERN =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

const TIMESTAMP_PARTS =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2}))$/;

/** Whether year, month and day name a day of the (proleptic Gregorian) calendar. */
function isCalendarDay(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return day <= days[month - 1];
}

/**
 * A timestamp as {@link ISO_TIMESTAMP_PATTERN} writes it, or null when it is not one or names a
 * moment no calendar has: 31 February, hour 24, minute or second 60, an offset beyond ±23:59.
 * (`Date` alone would roll `2030-02-31` over to 3 March.)
 */
export function parseIsoTimestamp(value: string): Date | null {
  const m = TIMESTAMP_PARTS.exec(value);
  if (!m) return null;
  const [year, month, day, hours, minutes, seconds, offsetHours, offsetMinutes] = m
    .slice(1)
    .map((v) => Number(v ?? 0));
  if (!isCalendarDay(year, month, day)) return null;
  if (hours > 23 || minutes > 59 || seconds > 59 || offsetHours > 23 || offsetMinutes > 59)
    return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** A calendar day written `YYYY-MM-DD` that exists (no `2030-02-31`). */
export function isIsoDay(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  return m !== null && isCalendarDay(Number(m[1]), Number(m[2]), Number(m[3]));
}

const DURATION_PARTS =
  /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

/** `at` plus an ISO-8601 duration, calendar-aware for years and months (UTC). */
export function addIsoDuration(at: Date, duration: string): Date {
  const m = DURATION_PARTS.exec(duration);
  if (!m || !isIsoDuration(duration)) throw new Error(`not an ISO-8601 duration: ${duration}`);
  const [years, months, weeks, days, hours, minutes, seconds] = m
    .slice(1)
    .map((v) => Number(v ?? 0));
  const d = new Date(at.getTime());
  d.setUTCFullYear(d.getUTCFullYear() + years, d.getUTCMonth() + months);
  d.setUTCDate(d.getUTCDate() + weeks * 7 + days);
  return new Date(d.getTime() + ((hours * 60 + minutes) * 60 + seconds) * 1000);
}
