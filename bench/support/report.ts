/** What the HTTP benches print: the header, the summary table against the aims, how they end. */
import os from 'node:os';
import { BuildError, REPO_ROOT } from './api-server';
import { BenchFailure } from './http';
import { fsyncLatency, machineInfo, sourceVersion, type CpuUsage } from './machine';
import type { LoadResult } from './load';
import { UsageError } from './options';
import { runLogDisabled, startRunLog } from './run-log';
import { formatInt, formatMs, padEnd, padStart } from './stats';

/** Cores other processes may use during a measurement before the bench warns. */
export const OTHERS_WARNING = 0.15;

/** A marker for a run line when other processes competed for the CPU, else ''. */
export function competedNote(usage: CpuUsage): string {
  return usage.others > OTHERS_WARNING ? '  <-- OTHER PROCESSES COMPETED FOR THE CPU' : '';
}

/**
 * For benches without a server (event-store, anomalies): the CPU this process and everything
 * else used during `what`, and a warning when other processes competed.
 */
export function printCpuDuring(what: string, usage: CpuUsage): void {
  console.log(
    `CPU during ${what} (cores): this process ${(usage.processes.get(process.pid) ?? NaN).toFixed(2)}, ` +
      `other processes ${usage.others.toFixed(2)}${competedNote(usage)}`,
  );
  if (usage.others > OTHERS_WARNING)
    console.log(
      `WARNING: other processes used more than ${OTHERS_WARNING} of a core during ${what}: ` +
        'absolute figures understate the code measured. Rerun on a quiet machine.',
    );
}

/**
 * The title, the source measured, the machine and the data dir's fsync latency, then `plan`
 * (what each run does), a warning when the machine is already busy, and a blank line.
 */
export function printHeader(title: string, dir: string, plan: string): void {
  const machine = machineInfo(dir);
  const fsync = fsyncLatency(dir);
  console.log(title);
  console.log(`  source: ${sourceVersion(REPO_ROOT)}`);
  console.log(
    `  node ${machine.node} (V8 ${machine.v8}) on ${machine.platform}\n` +
      `  CPU: ${machine.cpuModel} x ${machine.cpuCount}, ${machine.memoryGiB.toFixed(0)} GiB RAM\n` +
      `  data dirs under ${dir}: ${machine.storage}; ` +
      `4 KiB write+fdatasync p50 ${formatMs(fsync.p50, 2)}, p99 ${formatMs(fsync.p99, 2)}`,
  );
  console.log(plan);
  const load = os.loadavg()[0];
  if (load > 1) {
    console.log(
      `  WARNING: load average ${load.toFixed(2)} before starting: something else may be running ` +
        '(see "other processes" in each run)',
    );
  }
  console.log('');
}

/** One figure of the summary; `pass` is null for a figure without an aim. */
export interface Row {
  label: string;
  value: string;
  aim: string;
  pass: boolean | null;
}

/** Non-2xx answers in all the runs' loads: there must be none. */
export function non2xxRow(loads: readonly LoadResult[]): Row {
  return {
    label: 'non-2xx responses (all runs)',
    value: formatInt(loads.reduce((n, load) => n + load.non2xx, 0)),
    aim: '0',
    pass: loads.every((load) => load.non2xx === 0),
  };
}

export function formatRows(rows: readonly Row[], aimWidth: number): string {
  const width = Math.max(...rows.map((r) => r.label.length));
  return rows
    .map((r) => {
      const verdict = r.pass === null ? '' : r.pass ? 'PASS' : 'FAIL';
      return `  ${padEnd(r.label, width)}  ${padStart(r.value, 12)}  ${padEnd(r.aim, aimWidth)}  ${verdict}`.trimEnd();
    })
    .join('\n');
}

/**
 * Prints the summary of `runs` runs (each figure the median across them), and a warning when
 * other processes competed in `disturbed` of them; returns the labels of the aims missed.
 */
export function printSummary(
  rows: readonly Row[],
  runs: number,
  disturbed: number,
  aimWidth: number,
): string[] {
  console.log('');
  console.log(
    runs > 1
      ? `Median of ${runs} runs (each figure's median across runs):`
      : 'Result of the single run:',
  );
  console.log(formatRows(rows, aimWidth));
  if (disturbed > 0) {
    console.log(
      `WARNING: in ${disturbed} of ${runs} run(s) other processes used more than ` +
        `${OTHERS_WARNING} of a core: these figures understate the API. Rerun on a quiet machine.`,
    );
  }
  return rows.filter((r) => r.pass === false).map((r) => r.label);
}

/** Lists the CPU profile files written. */
export function printProfileFiles(files: readonly string[]): void {
  console.log('');
  console.log(
    'CPU profiles (open in Chrome DevTools, or: npx tsx bench/support/cpu-profile.ts FILE):',
  );
  for (const file of files) console.log(`  ${file}`);
}

/**
 * Runs the bench and exits with its code; on an error, says whether the API misbehaved, the
 * options were wrong (then `usage`), or the build failed, and exits with 1. Unless `--no-log`
 * is given, everything printed is also kept in a run log under bench/results/`bench`/ (see
 * run-log.ts); `bench` is the npm script's suffix (`consent` for `npm run bench:consent`).
 */
export function runBench(bench: string, main: () => Promise<number>, usage: string): void {
  const argv = process.argv.slice(2);
  if (!runLogDisabled(argv)) {
    const file = startRunLog(bench, REPO_ROOT, argv);
    console.log(`run log: ${file} (--no-log to keep none)`);
  }
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error('');
      if (error instanceof BenchFailure) {
        console.error('BENCH FAILED: the API did not answer as expected.');
        console.error(error.message);
      } else if (error instanceof UsageError) {
        console.error(`${error.message}\nusage: ${usage}`);
      } else if (error instanceof BuildError) {
        console.error(`BENCH NOT RUN: ${error.message} (fix the build, or use --no-build)`);
      } else {
        console.error(error);
      }
      process.exit(1);
    },
  );
}
