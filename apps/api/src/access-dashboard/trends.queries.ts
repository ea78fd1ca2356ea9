import { HOUR_MS, hourKey, type TrendHourDocument } from '@custodian/projections';
import { findAllDocs, type ReadStore } from '@custodian/read-store';
import type { ZonedDay, ZonedRange } from './zoned-days';

/**
 * The trends' arithmetic over the `trend_hours` documents (one source for the API, the console
 * and the bench). Durations are in milliseconds; the median and the 90th percentile are
 * nearest-rank (a value that occurred: the ⌈q·n⌉-th smallest).
 */

/** The trend hour documents of [startHour, endHour), in time order. */
export async function loadTrendHours(
  reads: ReadStore,
  collection: string,
  range: { startHour: number; endHour: number },
): Promise<TrendHourDocument[]> {
  const docs = await findAllDocs(reads, collection, {
    where: { hour: { gte: hourKey(range.startHour), lt: hourKey(range.endHour) } },
    sort: { field: 'hour' },
  });
  return docs as TrendHourDocument[];
}

export function percentile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];
}

const hourNumber = (doc: TrendHourDocument) => Date.parse(`${doc.hour}:00:00Z`) / HOUR_MS;

/** The local day each hour document falls in (documents in time order; outside: dropped). */
function inDays(days: readonly ZonedDay[], hours: readonly TrendHourDocument[]) {
  const out = days.map((day) => ({ day, docs: [] as TrendHourDocument[] }));
  let i = 0;
  for (const doc of hours) {
    const h = hourNumber(doc);
    while (i < days.length && h >= days[i].endHour) i++;
    if (i === days.length) break;
    if (h >= days[i].startHour) out[i].docs.push(doc);
  }
  return out;
}

const sorted = <T>(record: Map<string, T>): Array<[string, T]> =>
  [...record].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/**
 * Per local day and purpose: consent decisions recorded (`asked` = grants + revocations),
 * `granted`, `rate` = granted / asked, and revocations by trigger (`request`, `gpc`).
 */
export function consentTrend(range: ZonedRange, hours: readonly TrendHourDocument[]) {
  const days = inDays(range.days, hours).map(({ day, docs }) => {
    const purposes = new Map<string, { granted: number; request: number; gpc: number }>();
    for (const doc of docs)
      for (const [purposeId, cell] of Object.entries(doc.consents)) {
        const row = purposes.get(purposeId) ?? { granted: 0, request: 0, gpc: 0 };
        row.granted += cell.granted ?? 0;
        row.request += cell.request ?? 0;
        row.gpc += cell.gpc ?? 0;
        purposes.set(purposeId, row);
      }
    return {
      day: day.day,
      purposes: sorted(purposes).map(([purposeId, row]) => {
        const revoked = row.request + row.gpc;
        const asked = row.granted + revoked;
        return {
          purposeId,
          asked,
          granted: row.granted,
          rate: Math.round((row.granted / asked) * 10_000) / 10_000,
          revocations: { total: revoked, request: row.request, gpc: row.gpc },
        };
      }),
    };
  });
  return { from: range.from, to: range.to, tz: range.tz, bucket: 'hour' as const, days };
}

/** The Monday (local date) of the week a local day is in. */
export function weekOf(day: string): string {
  const t = Date.parse(`${day}T00:00:00Z`);
  const back = (new Date(t).getUTCDay() + 6) % 7;
  return new Date(t - back * 86_400_000).toISOString().slice(0, 10);
}

/**
 * Time to answer privacy requests per kind and local week (weeks start on Monday; a week cut by
 * the range counts its days inside it), by the week of the answer: answered, median, p90 (ms).
 */
export function privacyRequestTrend(range: ZonedRange, hours: readonly TrendHourDocument[]) {
  const weeks = new Map<string, Map<string, number[]>>();
  for (const { day, docs } of inDays(range.days, hours))
    for (const doc of docs)
      for (const [kind, took] of Object.entries(doc.answers)) {
        const week = weekOf(day.day);
        const kinds = weeks.get(week) ?? new Map<string, number[]>();
        kinds.set(kind, [...(kinds.get(kind) ?? []), ...took]);
        weeks.set(week, kinds);
      }
  return {
    from: range.from,
    to: range.to,
    tz: range.tz,
    weeks: sorted(weeks).map(([week, kinds]) => ({
      week,
      kinds: sorted(kinds).map(([kind, took]) => ({
        kind,
        answered: took.length,
        medianMs: percentile(took, 0.5),
        p90Ms: percentile(took, 0.9),
      })),
    })),
  };
}

/** Connectors' acknowledgement delays over the range (by when they acknowledged): median, p90. */
export function acknowledgementTrend(range: ZonedRange, hours: readonly TrendHourDocument[]) {
  const connectors = new Map<string, number[]>();
  for (const { docs } of inDays(range.days, hours))
    for (const doc of docs)
      for (const [connectorId, delays] of Object.entries(doc.acknowledgements))
        connectors.set(connectorId, [...(connectors.get(connectorId) ?? []), ...delays]);
  return {
    from: range.from,
    to: range.to,
    tz: range.tz,
    connectors: sorted(connectors).map(([connectorId, delays]) => ({
      connectorId,
      acknowledged: delays.length,
      medianMs: percentile(delays, 0.5),
      p90Ms: percentile(delays, 0.9),
    })),
  };
}
