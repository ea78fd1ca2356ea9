/**
 * How far the API's projections are behind the log when a timed window ends, and how long they
 * take to catch up after it. The log head is read by the bench on its own read-only connection
 * to `events.sqlite` the moment the window ends; where each projection stands comes from the
 * API's `/health/ready` (200 or 503, lag in both), polled until every projection has applied that head.
 *
 *   const end = windowEnd(dataDir);            // right after the load returns
 *   ...                                       // CPU samples, profile stop
 *   const catchUp = await projectionCatchUp(server, dataDir, end);
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import type { ApiServer } from './api-server';
import { BenchFailure } from './http';
import type { Row } from './report';
import { formatInt, formatMs, median } from './stats';

/** When the timed window ended, and the log head (`MAX(position)`) at that moment. */
export interface WindowEnd {
  at: number;
  head: number;
}

export interface ProjectionBehind {
  name: string;
  /** Events at or before the window's head that the projection had not applied. */
  events: number;
}

export interface CatchUp {
  head: number;
  /** Every projection, furthest behind first, as the first /health/ready after the window saw them. */
  behind: ProjectionBehind[];
  /**
   * `memory`: from the position each projection has applied in the API's process (projector
   * in-process); `checkpoint`: from the stored checkpoints (another process runs them, and a
   * checkpoint that only moved may be stored up to 250 ms late).
   */
  source: 'memory' | 'checkpoint';
  /** ms from the window's end to the first /health/ready answer (the API's thread is busy then). */
  firstAnswerMs: number;
  /** ms from the window's end to the first /health/ready answer with every projection at the head. */
  catchUpMs: number;
  polls: number;
}

function openLog(dataDir: string): Database.Database {
  return new Database(join(dataDir, 'events.sqlite'), { readonly: true, fileMustExist: true });
}

/** Call the moment the timed window ends. */
export function windowEnd(dataDir: string): WindowEnd {
  const at = performance.now();
  const db = openLog(dataDir);
  try {
    const row = db.prepare('SELECT MAX(position) AS head FROM events').get() as {
      head: number | null;
    };
    return { at, head: row.head ?? 0 };
  } finally {
    db.close();
  }
}

interface HealthProjection {
  name: string;
  state?: string;
  position?: string | null;
  eventsBehind: number;
}

async function healthProjections(
  server: ApiServer,
): Promise<{ runsHere: boolean; projections: HealthProjection[] }> {
  const response = await fetch(`${server.baseUrl}/health/ready`, {
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await response.json()) as {
    details?: { projections?: { runsHere?: boolean; projections?: HealthProjection[] } };
  };
  const details = body.details?.projections;
  if (!details?.projections)
    throw new BenchFailure(
      `/health/ready has no projection lag: ${JSON.stringify(body).slice(0, 500)}`,
    );
  return { runsHere: details.runsHere === true, projections: details.projections };
}

/**
 * Polls /health/ready every `pollMs` until every projection has applied the window's head; throws
 * after `timeoutMs`. The catch-up time is therefore known to within `pollMs` plus one answer.
 */
export async function projectionCatchUp(
  server: ApiServer,
  dataDir: string,
  end: WindowEnd,
  { pollMs = 50, timeoutMs = 120_000 } = {},
): Promise<CatchUp> {
  const db = openLog(dataDir);
  const countAfter = db.prepare(
    'SELECT count(*) AS n FROM events WHERE position > ? AND position <= ?',
  );
  const count = (after: number, upTo: number) =>
    after >= upTo ? 0 : (countAfter.get(after, upTo) as { n: number }).n;
  try {
    let first: Omit<CatchUp, 'catchUpMs' | 'polls'> | null = null;
    for (let polls = 1; ; polls++) {
      const { runsHere, projections } = await healthProjections(server);
      const answeredMs = performance.now() - end.at;
      let behind: ProjectionBehind[];
      if (runsHere) {
        behind = projections.map((p) => ({
          name: p.name,
          events: count(p.position == null ? 0 : Number(p.position), end.head),
        }));
      } else {
        // eventsBehind counts up to the head at the answer: leave out what came after the window.
        const later = count(end.head, Number.MAX_SAFE_INTEGER);
        behind = projections.map((p) => ({
          name: p.name,
          events: Math.max(0, p.eventsBehind - later),
        }));
      }
      behind.sort((a, b) => b.events - a.events);
      first ??= {
        head: end.head,
        behind,
        source: runsHere ? 'memory' : 'checkpoint',
        firstAnswerMs: answeredMs,
      };
      if (behind.every((p) => p.events === 0)) return { ...first, catchUpMs: answeredMs, polls };
      if (answeredMs > timeoutMs)
        throw new BenchFailure(
          `projections did not catch up within ${timeoutMs / 1000} s of the window's end ` +
            `(${behind[0].name} still ${formatInt(behind[0].events)} events behind)`,
        );
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  } finally {
    db.close();
  }
}

/** The projection furthest behind at the window's end ('' and 0 when none was). */
export function furthestBehind(c: CatchUp): ProjectionBehind {
  return c.behind[0] && c.behind[0].events > 0 ? c.behind[0] : { name: '', events: 0 };
}

/** One line for a run's report. */
export function describeCatchUp(c: CatchUp): string {
  const lagging = c.behind.filter((p) => p.events > 0);
  const top = lagging
    .slice(0, 3)
    .map((p) => `${p.name} ${formatInt(p.events)}`)
    .join(', ');
  return (
    `projections at the window's end (log head ${formatInt(c.head)}; ${c.source === 'memory' ? 'in-memory positions' : 'stored checkpoints'} ` +
    `in the first /health/ready, answered ${formatMs(c.firstAnswerMs, 0)} after it): ` +
    (lagging.length === 0
      ? `none behind (all ${c.behind.length} at the head)`
      : `${lagging.length} of ${c.behind.length} behind, events behind: ${top}${lagging.length > 3 ? ', ...' : ''}; ` +
        `all caught up ${formatMs(c.catchUpMs, 0)} after the end`)
  );
}

/** Summary rows: the medians across runs of the furthest lag and of the catch-up time. */
export function catchUpRows(runs: readonly CatchUp[]): Row[] {
  return [
    {
      label: "projection furthest behind at the window's end",
      value: `${formatInt(median(runs.map((c) => furthestBehind(c).events)))} events`,
      aim: '',
      pass: null,
    },
    {
      label: "projections caught up after the window's end",
      value: formatMs(median(runs.map((c) => c.catchUpMs)), 0),
      aim: '',
      pass: null,
    },
  ];
}
