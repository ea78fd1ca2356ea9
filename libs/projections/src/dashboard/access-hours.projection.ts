import type { AccessEvent, JsonObject } from '@custodian/domain';
import type { DocumentLookup, TypedProjection } from '../projection.definition';

/** One hour as milliseconds: the projection's bucket. */
export const HOUR_MS = 3_600_000;

/**
 * Gaps of this many hours or more are kept as `far`: a local day is at most 25 hours long (a
 * day a clock goes back), so any gap of 48 hours or more reaches back before its day.
 */
export const FAR_GAP_HOURS = 48;

/** How far back a customer's marker keeps the hours they were read in (see `AccessSeenDocument`). */
const KEEP_HOURS = 2 * FAR_GAP_HOURS;

type Counts = Record<string, number>;

/**
 * Access records of one UTC hour, counted: no customer ids, no values. Regrouped into local
 * days of any time zone whose offset is a whole number of hours (`access-dashboard.ts`).
 */
export interface AccessHourDocument extends JsonObject {
  kind: 'hour';
  /** The hour's start, `YYYY-MM-DDTHH` (UTC); sorts by time. */
  hour: string;
  /** Reads (`FieldsAccessed`) by role, purpose and route (`via`). */
  reads: Record<string, Record<string, Counts>>;
  /** Refusals (`AccessDenied`) by role, purpose and reason. */
  refusals: Record<string, Record<string, Counts>>;
  /** Reads that found a customer with no consent in force (`withoutConsent`), by role and purpose. */
  withoutConsent: Record<string, Counts>;
  /**
   * For exact distinct customers per role over any run of hours: each customer read by a role
   * in this hour (and not already earlier in this hour) counted under the gap in hours back to
   * the previous hour that role read them, `far` for none within `FAR_GAP_HOURS`. A customer
   * read by the role within [a, b) is counted once, at the first such hour h, whose gap exceeds
   * h - a; so distinct(a, b) = the sum over hours h in [a, b) of the entries with gap > h - a.
   */
  distinct: Record<string, Counts>;
  /** Rows exported (`SubjectExported`, one a customer) by role and purpose, real and sandbox. */
  exports: Record<string, Record<string, { rows?: number; sandbox?: number }>>;
}

/**
 * The hours a role read one customer in, within `KEEP_HOURS` of the latest, each with the gap
 * key it was counted under; never listed (it has no `hour`), only consulted.
 */
export interface AccessSeenDocument extends JsonObject {
  kind: 'seen';
  hours: Record<string, string>;
}

/**
 * Reads and refusals by role and actor (staff ids, not customers), kept apart from the counters
 * (the access dashboard never reads them): per UTC hour (`actorHour`) and per UTC day
 * (`actorDay`), so a range reads whole days in the middle and hours only at its edges.
 */
export interface AccessActorsDocument extends JsonObject {
  kind: 'actors';
  actorHour: string | null;
  actorDay: string | null;
  actors: Record<string, Record<string, { reads?: number; refusals?: number }>>;
}

export type AccessHoursDocument = AccessHourDocument | AccessSeenDocument | AccessActorsDocument;

export const accessActorsHourId = (hour: number) => `a:${hourKey(hour)}`;
export const accessActorsDayId = (hour: number) => `ad:${hourKey(hour).slice(0, 10)}`;

export const accessHourId = (hour: number) => `h:${hourKey(hour)}`;
export const accessSeenId = (role: string, subjectId: string) => `s:${role}:${subjectId}`;

/** Hours since the epoch (UTC) of an ISO time. */
export const accessHourOf = (iso: string) => Math.floor(Date.parse(iso) / HOUR_MS);
/** `YYYY-MM-DDTHH` of an hour since the epoch. */
export const hourKey = (hour: number) => new Date(hour * HOUR_MS).toISOString().slice(0, 13);

/** The key a gap of `gap` hours is counted under (`far` for none). */
export const gapKey = (gap: number | null) =>
  gap === null || gap >= FAR_GAP_HOURS ? 'far' : String(gap);

/** Where a read of a customer at `hour` falls among the hours this role read them in before. */
function placeRead(seen: AccessSeenDocument | null, hour: number) {
  const hours = Object.keys(seen?.hours ?? {}).map(Number);
  if (hours.includes(hour)) return null;
  let prev: number | null = null;
  let next: number | null = null;
  for (const h of hours) {
    if (h < hour && (prev === null || h > prev)) prev = h;
    if (h > hour && (next === null || h < next)) next = h;
  }
  return { prev, next };
}

const emptyHour = (hour: number): AccessHourDocument => ({
  kind: 'hour',
  hour: hourKey(hour),
  reads: {},
  refusals: {},
  withoutConsent: {},
  distinct: {},
  exports: {},
});

type Tree = { [key: string]: Tree | number };

/**
 * A copy of `tree` with the number at `path` moved by `n` (a zero left behind is removed);
 * only the objects along the path are copied, so an hour's document is never cloned whole.
 */
function bump<T extends object>(tree: T, path: readonly string[], n: number): T {
  const [key, ...rest] = path;
  const node = tree as unknown as Tree;
  const copy: Tree = { ...node };
  const has = Object.prototype.hasOwnProperty.call(node, key);
  // Defined, not assigned: a key such as "__proto__" stays a plain own property.
  const set = (value: Tree | number) =>
    Object.defineProperty(copy, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  if (rest.length === 0) {
    const value = ((has ? node[key] : 0) as number) + n;
    if (value === 0) delete copy[key];
    else set(value);
  } else {
    set(bump((has ? node[key] : {}) as Tree, rest, n));
  }
  return copy as unknown as T;
}

/**
 * Access counters per UTC hour for the dashboards (`access_hours`): one document per hour
 * holding every count of that hour, plus a small marker per role and customer read, for exact
 * distinct customers. Rows grow with hours, not with reads.
 */
export const accessHoursProjection: TypedProjection<AccessHoursDocument, AccessEvent> = {
  name: 'access_hours',
  version: 1,
  eventTypes: ['FieldsAccessed', 'AccessDenied', 'SubjectExported'],
  indexes: ['hour', 'actorHour', 'actorDay'],
  consults: (event) =>
    event.type === 'FieldsAccessed' ? [accessSeenId(event.data.role, event.data.subjectId)] : [],
  documentIds: (event, lookup) => {
    const hour = accessHourOf(event.data.at);
    if (event.type === 'SubjectExported') return [accessHourId(hour)];
    const actors = [accessActorsHourId(hour), accessActorsDayId(hour)];
    if (event.type === 'AccessDenied') return [accessHourId(hour), ...actors];
    const seenId = accessSeenId(event.data.role, event.data.subjectId);
    const placed = placeRead(lookup!(seenId) as AccessSeenDocument | null, hour);
    if (!placed) return [accessHourId(hour), ...actors];
    // A read older than the latest (out of order) shortens the gap of the next hour's entry.
    return [
      accessHourId(hour),
      ...actors,
      seenId,
      ...(placed.next !== null ? [accessHourId(placed.next)] : []),
    ];
  },
  apply: (doc, event, id, lookup) => {
    const hour = accessHourOf(event.data.at);
    const { role, purposeId, actorId } = event.data;
    if (id.startsWith('a')) {
      const actors: AccessActorsDocument = (doc as AccessActorsDocument | null) ?? {
        kind: 'actors',
        ...(id.startsWith('ad:')
          ? { actorDay: id.slice(3), actorHour: null }
          : { actorHour: hourKey(hour), actorDay: null }),
        actors: {},
      };
      return bump(
        actors,
        ['actors', role, actorId, event.type === 'AccessDenied' ? 'refusals' : 'reads'],
        1,
      );
    }
    if (event.type === 'FieldsAccessed') {
      const seenId = accessSeenId(role, event.data.subjectId);
      const seen = lookup!(seenId) as AccessSeenDocument | null;
      const placed = placeRead(seen, hour);
      if (id === seenId) {
        const hours: Record<string, string> = {
          ...seen?.hours,
          [hour]: gapKey(placed!.prev === null ? null : hour - placed!.prev),
        };
        if (placed!.next !== null) hours[placed!.next] = gapKey(placed!.next - hour);
        const latest = Math.max(...Object.keys(hours).map(Number));
        for (const h of Object.keys(hours)) if (Number(h) < latest - KEEP_HOURS) delete hours[h];
        return { kind: 'seen', hours };
      }
      let next = (doc as AccessHourDocument | null) ?? emptyHour(hour);
      if (id !== accessHourId(hour)) {
        // The next hour this role read the customer in: its gap now reaches back to `hour`.
        next = bump(next, ['distinct', role, seen!.hours[placed!.next!]], -1);
        return bump(next, ['distinct', role, gapKey(placed!.next! - hour)], 1);
      }
      next = bump(next, ['reads', role, purposeId, event.data.via], 1);
      if (event.data.withoutConsent === true)
        next = bump(next, ['withoutConsent', role, purposeId], 1);
      if (placed)
        next = bump(
          next,
          ['distinct', role, gapKey(placed.prev === null ? null : hour - placed.prev)],
          1,
        );
      return next;
    }
    const next = (doc as AccessHourDocument | null) ?? emptyHour(hour);
    if (event.type === 'AccessDenied') {
      return bump(next, ['refusals', role, purposeId, event.data.reason], 1);
    }
    return bump(
      next,
      ['exports', role, purposeId, event.data.mode === 'sandbox' ? 'sandbox' : 'rows'],
      1,
    );
  },
};

/** The hour documents' lookup type, for callers applying the definition themselves (the bench). */
export type AccessHoursLookup = DocumentLookup<AccessHoursDocument>;
