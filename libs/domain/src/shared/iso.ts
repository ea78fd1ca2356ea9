/** ISO-8601 duration (e.g. P3Y, P6M, P1Y2M10DT2H30M); no fractional or negative parts. */
const ISO_DURATION = /^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$/;

export function isIsoDuration(value: string): boolean {
  return ISO_DURATION.test(value);
}

/** A full ISO-8601 timestamp with a zone, as produced by Date#toISOString or with an offset. */
export const ISO_TIMESTAMP_PATTERN =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

export function parseIsoTimestamp(value: string): Date | null {
  if (!ISO_TIMESTAMP_PATTERN.test(value)) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
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
