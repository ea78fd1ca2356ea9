import { isIsoDay } from '@custodian/domain';
import { badParam } from '@custodian/platform';
import { HOUR_MS } from '@custodian/projections';

const DAY_MS = 86_400_000;
/** The longest range a dashboard answers, in days. */
export const MAX_DAYS = 366;
/** The range without `from`: this many days, ending `to` (default today in the zone). */
export const DEFAULT_DAYS = 30;

/** A local calendar day and the UTC hours it covers, [startHour, endHour) since the epoch. */
export interface ZonedDay {
  day: string;
  startHour: number;
  endHour: number;
}

export interface ZonedRange {
  from: string;
  to: string;
  tz: string;
  days: ZonedDay[];
  /** The first hour of `from` and the hour after `to` ends. */
  startHour: number;
  endHour: number;
}

const formats = new Map<string, Intl.DateTimeFormat>();

function formatFor(tz: string): Intl.DateTimeFormat {
  let format = formats.get(tz);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formats.set(tz, format);
  }
  return format;
}

/** The zone's offset from UTC at instant `t` (ms): local wall time minus UTC. */
function offsetAt(tz: string, t: number): number {
  const parts: Record<string, number> = {};
  for (const part of formatFor(tz).formatToParts(new Date(t)))
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  const wall = Date.UTC(
    parts.year,
    parts.month - 1,
    parts.day,
    parts.hour % 24,
    parts.minute,
    parts.second,
  );
  return wall - Math.floor(t / 1000) * 1000;
}

/** The instant a local day starts in the zone (its first instant if midnight is skipped). */
function dayStart(day: string, tz: string): number {
  const wall = Date.parse(`${day}T00:00:00Z`);
  const guess = wall - offsetAt(tz, wall);
  return wall - offsetAt(tz, guess);
}

/** Today's date in the zone. */
function todayIn(tz: string, now: Date): string {
  return new Date(now.getTime() + offsetAt(tz, now.getTime())).toISOString().slice(0, 10);
}

const addDays = (day: string, n: number) =>
  new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);

/** True when `tz` is a time zone this runtime knows (IANA names, or UTC). */
export function isTimeZone(tz: string): boolean {
  try {
    formatFor(tz);
    return true;
  } catch {
    return false;
  }
}

/**
 * The local days from `from` to `to` (inclusive) in zone `tz` (default UTC), each with the UTC
 * hours it covers. Without `to`: today in the zone; without `from`: 30 days ending `to`.
 * A bad value is a 400 naming it; so is a zone whose day boundaries in the range fall off the
 * hour (e.g. Asia/Kolkata, +05:30): the counters are kept per UTC hour.
 */
export function zonedRange(
  query: { from?: string; to?: string; tz?: string },
  now: Date,
): ZonedRange {
  const tz = query.tz ?? 'UTC';
  if (tz.length > 64 || !isTimeZone(tz))
    throw badParam('tz', 'must be an IANA time zone, e.g. Europe/Moscow or UTC');
  if (query.from !== undefined && !isIsoDay(query.from))
    throw badParam('from', 'must be a real calendar day, YYYY-MM-DD');
  if (query.to !== undefined && !isIsoDay(query.to))
    throw badParam('to', 'must be a real calendar day, YYYY-MM-DD');
  const to = query.to ?? todayIn(tz, now);
  const from = query.from ?? addDays(to, -(DEFAULT_DAYS - 1));
  if (from > to) throw badParam('to', 'must not be before from');
  const count = Math.round((Date.parse(to) - Date.parse(from)) / DAY_MS) + 1;
  if (count > MAX_DAYS) throw badParam('to', `must be at most ${MAX_DAYS - 1} days after from`);
  const starts: number[] = [];
  for (let i = 0; i <= count; i++) {
    const start = dayStart(addDays(from, i), tz);
    if (start % HOUR_MS !== 0)
      throw badParam(
        'tz',
        'must start its days on a whole UTC hour in this range (counters are kept per hour; zones such as Asia/Kolkata are not supported)',
      );
    starts.push(start / HOUR_MS);
  }
  const days = starts
    .slice(0, -1)
    .map((startHour, i) => ({ day: addDays(from, i), startHour, endHour: starts[i + 1] }));
  return { from, to, tz, days, startHour: starts[0], endHour: starts[count] };
}
