import {
  HOUR_MS,
  hourKey,
  type AccessActorsDocument,
  type AccessHourDocument,
} from '@custodian/projections';
import { findAllDocs, type ReadStore } from '@custodian/read-store';
import type { ZonedDay, ZonedRange } from './zoned-days';

/**
 * The access dashboards' arithmetic over the `access_hours` documents: the API routes and the
 * console call these (through `AccessDashboardService`), and so does the bench, so every
 * number has one source. Counts, role names, purpose ids, routes and staff actor ids only.
 */

/** An actor is an outlier when their volume is at least this many times their role's median. */
export const OUTLIER_RATIO = 3;

/** The hour documents of [startHour, endHour), in time order. */
export async function loadHours(
  reads: ReadStore,
  collection: string,
  range: { startHour: number; endHour: number },
): Promise<AccessHourDocument[]> {
  const docs = await findAllDocs(reads, collection, {
    where: { hour: { gte: hourKey(range.startHour), lt: hourKey(range.endHour) } },
    sort: { field: 'hour' },
  });
  return docs as AccessHourDocument[];
}

/**
 * The per-actor documents covering [startHour, endHour): whole UTC days inside it from the day
 * documents, the hours at its edges from the hour documents.
 */
export async function loadActorDocs(
  reads: ReadStore,
  collection: string,
  range: { startHour: number; endHour: number },
): Promise<AccessActorsDocument[]> {
  const firstDay = Math.ceil(range.startHour / 24);
  const endDay = Math.floor(range.endHour / 24);
  const hours = (from: number, to: number) =>
    from < to
      ? findAllDocs(reads, collection, {
          where: { actorHour: { gte: hourKey(from), lt: hourKey(to) } },
        })
      : Promise.resolve([]);
  if (firstDay >= endDay)
    return (await hours(range.startHour, range.endHour)) as AccessActorsDocument[];
  const [before, days, after] = await Promise.all([
    hours(range.startHour, firstDay * 24),
    findAllDocs(reads, collection, {
      where: {
        actorDay: {
          gte: hourKey(firstDay * 24).slice(0, 10),
          lt: hourKey(endDay * 24).slice(0, 10),
        },
      },
    }),
    hours(endDay * 24, range.endHour),
  ]);
  return [...before, ...days, ...after] as AccessActorsDocument[];
}

const hourNumber = (doc: AccessHourDocument) => Date.parse(`${doc.hour}:00:00Z`) / HOUR_MS;

/** Each day with the hour documents inside it (documents are in time order). */
function byDay(
  days: readonly ZonedDay[],
  hours: readonly AccessHourDocument[],
): Array<{ day: ZonedDay; hours: Array<{ h: number; doc: AccessHourDocument }> }> {
  const out = days.map((day) => ({
    day,
    hours: [] as Array<{ h: number; doc: AccessHourDocument }>,
  }));
  let i = 0;
  for (const doc of hours) {
    const h = hourNumber(doc);
    while (i < days.length && h >= days[i].endHour) i++;
    if (i === days.length) break;
    if (h >= days[i].startHour) out[i].hours.push({ h, doc });
  }
  return out;
}

const entries = <T>(record: Record<string, T> | undefined): Array<[string, T]> =>
  Object.entries(record ?? {});

function tally(map: Map<string, Record<string, number>>, key: string, field: string, n: number) {
  let row = map.get(key);
  if (!row) map.set(key, (row = {}));
  row[field] = (row[field] ?? 0) + n;
}

/** Rows of a tally, sorted by key, every field present (0 when none). */
function rows<K extends string, F extends string>(
  map: Map<string, Record<string, number>>,
  keyName: K,
  fields: readonly F[],
): Array<Record<K, string> & Record<F, number>> {
  return [...map]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(
      ([key, row]) =>
        ({
          [keyName]: key,
          ...Object.fromEntries(fields.map((f) => [f, row[f] ?? 0])),
        }) as Record<K, string> & Record<F, number>,
    );
}

const ROLE_FIELDS = ['reads', 'refusals', 'withoutConsent', 'customers'] as const;
const PURPOSE_FIELDS = ['reads', 'refusals', 'withoutConsent'] as const;

export interface AccessDay {
  day: string;
  reads: number;
  refusals: number;
  withoutConsent: number;
  byRole: Array<{
    role: string;
    reads: number;
    refusals: number;
    withoutConsent: number;
    customers: number;
  }>;
  byPurpose: Array<{ purposeId: string; reads: number; refusals: number; withoutConsent: number }>;
  byVia: Array<{ via: string; reads: number }>;
  byReason: Array<{ reason: string; refusals: number }>;
}

/**
 * Reads and refusals per local day by role, purpose and route; reads without consent; and per
 * role the distinct customers read that day (exact: see `AccessHourDocument.distinct`).
 */
export function accessByDay(range: ZonedRange, hours: readonly AccessHourDocument[]) {
  const days: AccessDay[] = byDay(range.days, hours).map(({ day, hours: inDay }) => {
    const role = new Map<string, Record<string, number>>();
    const purpose = new Map<string, Record<string, number>>();
    const via = new Map<string, Record<string, number>>();
    const reason = new Map<string, Record<string, number>>();
    for (const { h, doc } of inDay) {
      for (const [r, purposes] of entries(doc.reads))
        for (const [p, vias] of entries(purposes))
          for (const [v, n] of entries(vias)) {
            tally(role, r, 'reads', n);
            tally(purpose, p, 'reads', n);
            tally(via, v, 'reads', n);
          }
      for (const [r, purposes] of entries(doc.refusals))
        for (const [p, reasons] of entries(purposes))
          for (const [why, n] of entries(reasons)) {
            tally(role, r, 'refusals', n);
            tally(purpose, p, 'refusals', n);
            tally(reason, why, 'refusals', n);
          }
      for (const [r, purposes] of entries(doc.withoutConsent))
        for (const [p, n] of entries(purposes)) {
          tally(role, r, 'withoutConsent', n);
          tally(purpose, p, 'withoutConsent', n);
        }
      // A customer counts in the first hour of the day the role read them in: there, the gap
      // back to their previous read reaches before the day's start.
      const since = h - day.startHour;
      for (const [r, gaps] of entries(doc.distinct))
        for (const [gap, n] of entries(gaps))
          if (gap === 'far' || Number(gap) > since) tally(role, r, 'customers', n);
    }
    const byRole = rows(role, 'role', ROLE_FIELDS);
    const sum = (field: 'reads' | 'refusals' | 'withoutConsent') =>
      byRole.reduce((total, row) => total + row[field], 0);
    return {
      day: day.day,
      reads: sum('reads'),
      refusals: sum('refusals'),
      withoutConsent: sum('withoutConsent'),
      byRole,
      byPurpose: rows(purpose, 'purposeId', PURPOSE_FIELDS),
      byVia: rows(via, 'via', ['reads'] as const),
      byReason: rows(reason, 'reason', ['refusals'] as const),
    };
  });
  const total = (field: 'reads' | 'refusals' | 'withoutConsent') =>
    days.reduce((sum, day) => sum + day[field], 0);
  return {
    from: range.from,
    to: range.to,
    tz: range.tz,
    bucket: 'hour' as const,
    totals: {
      reads: total('reads'),
      refusals: total('refusals'),
      withoutConsent: total('withoutConsent'),
    },
    days,
  };
}

function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Per role and actor (staff, not customers), reads and refusals over the whole range; each
 * role's median volume (reads + refusals) over its actors active in the range; the top actors
 * by volume with their ratio to their role's median, outliers at `OUTLIER_RATIO` or more.
 */
export function actorVolumes(
  range: ZonedRange,
  docs: readonly AccessActorsDocument[],
  limit: number,
) {
  const volumes = new Map<
    string,
    { actorId: string; role: string; reads: number; refusals: number }
  >();
  for (const doc of docs)
    for (const [role, actors] of entries(doc.actors))
      for (const [actorId, counts] of entries(actors)) {
        const key = JSON.stringify([role, actorId]);
        const entry = volumes.get(key) ?? { actorId, role, reads: 0, refusals: 0 };
        entry.reads += counts.reads ?? 0;
        entry.refusals += counts.refusals ?? 0;
        volumes.set(key, entry);
      }
  const perRole = new Map<string, number[]>();
  for (const v of volumes.values())
    perRole.set(v.role, [...(perRole.get(v.role) ?? []), v.reads + v.refusals]);
  const medians = new Map([...perRole].map(([role, list]) => [role, median(list)]));
  const ranked = [...volumes.values()]
    .map((v) => {
      const volume = v.reads + v.refusals;
      const roleMedian = medians.get(v.role)!;
      const ratio = Math.round((volume / roleMedian) * 100) / 100;
      return { ...v, volume, roleMedian, ratio, outlier: ratio >= OUTLIER_RATIO };
    })
    .sort(
      (a, b) =>
        b.volume - a.volume ||
        (a.role < b.role ? -1 : a.role > b.role ? 1 : 0) ||
        (a.actorId < b.actorId ? -1 : a.actorId > b.actorId ? 1 : 0),
    );
  return {
    from: range.from,
    to: range.to,
    tz: range.tz,
    outlierRatio: OUTLIER_RATIO,
    roles: [...perRole]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([role, list]) => ({
        role,
        actors: list.length,
        volume: list.reduce((s, n) => s + n, 0),
        median: medians.get(role)!,
      })),
    top: ranked.slice(0, limit),
    outliers: ranked.filter((a) => a.outlier),
  };
}

/** Rows exported per local day by role and purpose (one row a customer), real and sandbox. */
export function exportRowsByDay(range: ZonedRange, hours: readonly AccessHourDocument[]) {
  const fields = ['rows', 'sandbox'] as const;
  const days = byDay(range.days, hours).map(({ day, hours: inDay }) => {
    const role = new Map<string, Record<string, number>>();
    const purpose = new Map<string, Record<string, number>>();
    const cell = new Map<string, Record<string, number>>();
    for (const { doc } of inDay)
      for (const [r, purposes] of entries(doc.exports))
        for (const [p, counts] of entries(purposes))
          for (const field of fields) {
            const n = counts[field] ?? 0;
            if (!n) continue;
            tally(role, r, field, n);
            tally(purpose, p, field, n);
            tally(cell, JSON.stringify([r, p]), field, n);
          }
    const byRole = rows(role, 'role', fields);
    return {
      day: day.day,
      rows: byRole.reduce((s, r) => s + r.rows, 0),
      sandbox: byRole.reduce((s, r) => s + r.sandbox, 0),
      byRole,
      byPurpose: rows(purpose, 'purposeId', fields),
      cells: rows(cell, 'key', fields).map(({ key, ...counts }) => {
        const [r, p] = JSON.parse(key) as [string, string];
        return { role: r, purposeId: p, ...counts };
      }),
    };
  });
  return {
    from: range.from,
    to: range.to,
    tz: range.tz,
    bucket: 'hour' as const,
    totals: {
      rows: days.reduce((s, d) => s + d.rows, 0),
      sandbox: days.reduce((s, d) => s + d.sandbox, 0),
    },
    days,
  };
}
