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

/**
 * A tally of counters by key: one array of numbers per key, indexed by field, so the hot loops
 * over 720 hour documents add to array slots instead of growing objects by string key.
 */
class Tally {
  private readonly map = new Map<string, number[]>();
  constructor(private readonly width: number) {}

  add(key: string, field: number, n: number): void {
    let row = this.map.get(key);
    if (!row) this.map.set(key, (row = new Array<number>(this.width).fill(0)));
    row[field] += n;
  }

  /** The rows sorted by key, every field present (0 when none). */
  rows<K extends string, F extends string>(
    keyName: K,
    fields: readonly F[],
  ): Array<Record<K, string> & Record<F, number>> {
    return [...this.map]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, row]) => {
        const out: Record<string, string | number> = { [keyName]: key };
        fields.forEach((f, i) => (out[f] = row[i]));
        return out as Record<K, string> & Record<F, number>;
      });
  }
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
    // Field indexes: role [reads, refusals, withoutConsent, customers], purpose the first three.
    const role = new Tally(ROLE_FIELDS.length);
    const purpose = new Tally(PURPOSE_FIELDS.length);
    const via = new Tally(1);
    const reason = new Tally(1);
    for (const { h, doc } of inDay) {
      const reads = doc.reads ?? {};
      for (const r in reads)
        for (const p in reads[r]) {
          const vias = reads[r][p];
          for (const v in vias) {
            const n = vias[v];
            role.add(r, 0, n);
            purpose.add(p, 0, n);
            via.add(v, 0, n);
          }
        }
      const refusals = doc.refusals ?? {};
      for (const r in refusals)
        for (const p in refusals[r]) {
          const reasons = refusals[r][p];
          for (const why in reasons) {
            const n = reasons[why];
            role.add(r, 1, n);
            purpose.add(p, 1, n);
            reason.add(why, 0, n);
          }
        }
      const without = doc.withoutConsent ?? {};
      for (const r in without)
        for (const p in without[r]) {
          const n = without[r][p];
          role.add(r, 2, n);
          purpose.add(p, 2, n);
        }
      // A customer counts in the first hour of the day the role read them in: there, the gap
      // back to their previous read reaches before the day's start.
      const since = h - day.startHour;
      const distinct = doc.distinct ?? {};
      for (const r in distinct)
        for (const gap in distinct[r])
          if (gap === 'far' || Number(gap) > since) role.add(r, 3, distinct[r][gap]);
    }
    const byRole = role.rows('role', ROLE_FIELDS);
    const sum = (field: 'reads' | 'refusals' | 'withoutConsent') =>
      byRole.reduce((total, row) => total + row[field], 0);
    return {
      day: day.day,
      reads: sum('reads'),
      refusals: sum('refusals'),
      withoutConsent: sum('withoutConsent'),
      byRole,
      byPurpose: purpose.rows('purposeId', PURPOSE_FIELDS),
      byVia: via.rows('via', ['reads'] as const),
      byReason: reason.rows('reason', ['refusals'] as const),
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
  // By role, then actor: no composite string key built per entry.
  const byRole = new Map<
    string,
    Map<string, { actorId: string; role: string; reads: number; refusals: number }>
  >();
  for (const doc of docs) {
    const roles = doc.actors ?? {};
    for (const role in roles) {
      let actorsOfRole = byRole.get(role);
      if (!actorsOfRole) byRole.set(role, (actorsOfRole = new Map()));
      const actors = roles[role];
      for (const actorId in actors) {
        const counts = actors[actorId];
        let entry = actorsOfRole.get(actorId);
        if (!entry) actorsOfRole.set(actorId, (entry = { actorId, role, reads: 0, refusals: 0 }));
        entry.reads += counts.reads ?? 0;
        entry.refusals += counts.refusals ?? 0;
      }
    }
  }
  const volumes = [...byRole.values()].flatMap((actors) => [...actors.values()]);
  const perRole = new Map<string, number[]>();
  for (const v of volumes) {
    const list = perRole.get(v.role);
    if (list) list.push(v.reads + v.refusals);
    else perRole.set(v.role, [v.reads + v.refusals]);
  }
  const medians = new Map([...perRole].map(([role, list]) => [role, median(list)]));
  const ranked = volumes
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
    const role = new Tally(2);
    const purpose = new Tally(2);
    // Cells by role, then purpose: no composite string keys to build and parse back.
    const cells = new Map<string, Tally>();
    for (const { doc } of inDay) {
      const exports = doc.exports ?? {};
      for (const r in exports)
        for (const p in exports[r]) {
          const counts = exports[r][p];
          for (let f = 0; f < fields.length; f++) {
            const n = counts[fields[f]] ?? 0;
            if (!n) continue;
            role.add(r, f, n);
            purpose.add(p, f, n);
            let cell = cells.get(r);
            if (!cell) cells.set(r, (cell = new Tally(2)));
            cell.add(p, f, n);
          }
        }
    }
    const byRole = role.rows('role', fields);
    return {
      day: day.day,
      rows: byRole.reduce((s, r) => s + r.rows, 0),
      sandbox: byRole.reduce((s, r) => s + r.sandbox, 0),
      byRole,
      byPurpose: purpose.rows('purposeId', fields),
      cells: [...cells]
        .flatMap(([r, cell]) =>
          cell.rows('purposeId', fields).map((counts) => ({
            sort: JSON.stringify([r, counts.purposeId]),
            cell: { role: r, ...counts },
          })),
        )
        .sort((a, b) => (a.sort < b.sort ? -1 : a.sort > b.sort ? 1 : 0))
        .map(({ cell }) => cell),
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
