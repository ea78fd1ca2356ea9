/**
 * The machine's two ceilings for an HTTP write (issue 18), measured in the same run as the bench
 * that prints them: a bare Fastify JSON route, and a Fastify route that appends the body to a
 * SQLite WAL log with synchronous=FULL, group-committing one event-loop turn's writes and
 * answering after the commit (ceiling-server.cjs). Each is served from its own process on
 * 127.0.0.1 and loaded by the same load generator (autocannon, load.ts) with the same
 * connections and body as the bench's own load, for a bounded time; the process is stopped and
 * its database removed afterwards.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, registerTempDir, removeTempDir } from './api-server';
import { checkLoad, runLoad, type LoadResult } from './load';
import { cpuSample, cpuUsage } from './machine';
import { competedNote, type Row } from './report';
import { formatInt, formatMs, padEnd, padStart } from './stats';

const CEILING_SERVER = join(__dirname, 'ceiling-server.cjs');

export type CeilingKind = 'bare' | 'durable';

export interface Ceiling {
  kind: CeilingKind;
  label: string;
  load: LoadResult;
  /** CPU of the ceiling's server process, in cores, and other processes', during the load. */
  serverCores: number;
  /** The load generator's (this process's) CPU, in cores: on 2 cores it competes with the server. */
  generatorCores: number;
  otherCores: number;
  note: string;
}

export interface Ceilings {
  bare: Ceiling;
  durable: Ceiling;
  seconds: number;
  connections: number;
}

export interface CeilingOptions {
  /** Seconds of measured load on each ceiling (after `warmup` seconds unmeasured). */
  seconds: number;
  warmup: number;
  connections: number;
  /** The JSON body of every request (the bench's own request body). */
  body: string;
  /** Where the durable ceiling's database directory is made. */
  dir: string;
}

const LABELS: Record<CeilingKind, string> = {
  bare: 'bare Fastify JSON route',
  durable: 'Fastify + SQLite WAL append (synchronous=FULL, group commit)',
};

async function measureOne(kind: CeilingKind, options: CeilingOptions): Promise<Ceiling> {
  const tmp = mkdtempSync(join(options.dir, `custodian-bench-ceiling-${kind}-`));
  registerTempDir(tmp);
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [CEILING_SERVER, kind, String(port), ...(kind === 'durable' ? [join(tmp, 'log.sqlite')] : [])],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  try {
    await new Promise<void>((resolveReady, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the ${kind} ceiling did not start: ${output}`)),
        15_000,
      );
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
        if (output.includes('listening')) {
          clearTimeout(timer);
          resolveReady();
        }
      });
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the ${kind} ceiling exited (${code}): ${output}`));
      });
    });
    const server = { baseUrl: `http://127.0.0.1:${port}` };
    const spec = {
      connections: options.connections,
      method: 'POST' as const,
      headers: { 'content-type': 'application/json' },
      body: options.body,
      next: () => ({ path: '/ceiling' }),
      isOk: (status: number) => status === 201,
    };
    if (options.warmup > 0) await runLoad(server, { ...spec, seconds: options.warmup });
    const pid = child.pid ?? -1;
    const start = cpuSample([pid, process.pid]);
    const load = await runLoad(server, { ...spec, seconds: options.seconds });
    const usage = cpuUsage(start, cpuSample([pid, process.pid]));
    checkLoad(`${kind} ceiling`, load, 'answers');
    return {
      kind,
      label: LABELS[kind],
      load,
      serverCores: usage.processes.get(pid) ?? NaN,
      generatorCores: usage.processes.get(process.pid) ?? NaN,
      otherCores: usage.others,
      note: competedNote(usage),
    };
  } finally {
    child.removeAllListeners('exit');
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    removeTempDir(tmp);
  }
}

/** Both ceilings, one after the other (bare first). */
export async function measureCeilings(options: CeilingOptions): Promise<Ceilings> {
  const bare = await measureOne('bare', options);
  const durable = await measureOne('durable', options);
  return { bare, durable, seconds: options.seconds, connections: options.connections };
}

export function describeCeilings(c: Ceilings): string {
  const width = Math.max(c.bare.label.length, c.durable.label.length);
  const line = (x: Ceiling) =>
    `  ${padEnd(x.label, width)}  ${padStart(`${formatInt(x.load.perSecond)}/s`, 9)}  ` +
    `p50 ${formatMs(x.load.p50)} p99 ${formatMs(x.load.p99)}; CPU (cores): server ${x.serverCores.toFixed(2)}, ` +
    `load generator ${x.generatorCores.toFixed(2)}, other processes ${x.otherCores.toFixed(2)}${x.note}`;
  return [
    `ceilings (each its own process on 127.0.0.1, ${c.connections} connections, the same load ` +
      `generator and body, ${c.seconds} s each):`,
    line(c.bare),
    line(c.durable),
  ].join('\n');
}

/** One of issue 18's throughput goals: at least `ratio` x the durable ceiling, p99 under a bound. */
export interface RateGoal {
  label: string;
  perSecond: number;
  p99: number;
  ratio: number;
  p99Ms: number;
}

/** Rows for issue 18's goals: rate against the durable (and bare) ceiling, and p99. */
export function rateGoalRows(c: Ceilings, goals: readonly RateGoal[]): Row[] {
  return goals.flatMap((g) => {
    const durable = g.perSecond / c.durable.load.perSecond;
    const bare = g.perSecond / c.bare.load.perSecond;
    return [
      {
        label: `${g.label}: rate / durable ceiling`,
        value: `${durable.toFixed(2)}x`,
        aim: `>= ${g.ratio.toFixed(2)}x (${formatInt(g.perSecond)}/s; ${bare.toFixed(2)}x bare)`,
        pass: durable >= g.ratio,
      },
      {
        label: `${g.label}: p99`,
        value: formatMs(g.p99),
        aim: `< ${g.p99Ms} ms`,
        pass: g.p99 < g.p99Ms,
      },
    ];
  });
}

/** Prints the goals as MET / NOT MET; returns the labels of those not met. */
export function printGoals(title: string, rows: readonly Row[]): string[] {
  const width = Math.max(...rows.map((r) => r.label.length));
  const aimWidth = Math.max(...rows.map((r) => r.aim.length));
  console.log('');
  console.log(title);
  for (const r of rows) {
    const verdict = r.pass === null ? '' : r.pass ? 'MET' : 'NOT MET';
    console.log(
      `  ${padEnd(r.label, width)}  ${padStart(r.value, 10)}  ${padEnd(r.aim, aimWidth)}  ${verdict}`.trimEnd(),
    );
  }
  const missed = rows.filter((r) => r.pass === false).map((r) => r.label);
  console.log(
    missed.length === 0
      ? 'Issue 18 goals: all MET.'
      : `Issue 18 goals NOT MET: ${missed.join('; ')}`,
  );
  return missed;
}
