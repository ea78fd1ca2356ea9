/** What a bench ran on: enough to compare figures between machines. */
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  fdatasyncSync,
  openSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeSync,
} from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { median, percentile } from './stats';

export interface MachineInfo {
  node: string;
  v8: string;
  platform: string;
  cpuModel: string;
  cpuCount: number;
  memoryGiB: number;
  /** Mount point and file system type holding the data directory (Linux only). */
  storage: string;
}

export function machineInfo(dataDir: string): MachineInfo {
  const cpus = os.cpus();
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cpuCount: cpus.length,
    memoryGiB: os.totalmem() / 2 ** 30,
    storage: mountOf(dataDir),
  };
}

/** The /proc/mounts entry with the longest mount point containing `dir`. */
function mountOf(dir: string): string {
  try {
    const real = realpathSync(dir);
    let best: { point: string; type: string; device: string } | null = null;
    for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
      const [device, point, type] = line.split(' ');
      if (!point) continue;
      const inside = point === '/' || real === point || real.startsWith(`${point}/`);
      if (inside && (!best || point.length > best.point.length)) best = { point, type, device };
    }
    return best ? `${best.point} (${best.type} on ${best.device})` : 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * Latency of an 4 KiB append followed by fdatasync in `dir`: the floor under every durable
 * commit (SQLite's WAL with synchronous=FULL syncs the WAL once per transaction).
 */
export function fsyncLatency(dir: string, samples = 200): { p50: number; p99: number } {
  const file = join(dir, `fsync-probe-${process.pid}.bin`);
  const block = Buffer.alloc(4096, 7);
  const fd = openSync(file, 'w');
  const times: number[] = [];
  try {
    for (let i = 0; i < samples + 10; i++) {
      const start = process.hrtime.bigint();
      writeSync(fd, block);
      fdatasyncSync(fd);
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (i >= 10) times.push(ms);
    }
  } finally {
    closeSync(fd);
    rmSync(file, { force: true });
  }
  return { p50: median(times), p99: percentile(times, 99) };
}

/** The commit a bench measured, and whether the working tree differed from it. */
export interface SourceState {
  /** `git rev-parse HEAD`, or null outside a git checkout. */
  commit: string | null;
  /** Tracked files that differ from the commit (staged or not), as `git status --porcelain`. */
  changed: string[];
  /**
   * Untracked files git does not ignore. Run logs under bench/results/ and the `node_modules`
   * link of a worktree are not counted: neither is code that is measured.
   */
  untracked: string[];
}

/** Where run logs are kept; files there do not make the tree count as changed. */
export const RESULTS_DIR = 'bench/results';

/** Read-only git calls in `repoRoot`. */
export function sourceState(repoRoot: string): SourceState {
  const git = (...args: string[]) =>
    spawnSync('git', args, {
      cwd: repoRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  const head = git('rev-parse', 'HEAD');
  if (head.status !== 0) return { commit: null, changed: [], untracked: [] };
  const lines = (...args: string[]) =>
    git(...args, '--', '.', `:(exclude)${RESULTS_DIR}`)
      .stdout.split('\n')
      .filter(Boolean);
  const changed = lines('status', '--porcelain', '--untracked-files=no');
  const untracked = lines('ls-files', '--others', '--exclude-standard').filter(
    (path) => path !== 'node_modules',
  );
  return { commit: head.stdout.trim(), changed, untracked };
}

/** True when the tree differs from the commit: tracked changes or untracked files. */
export function isDirty(state: SourceState): boolean {
  return state.changed.length > 0 || state.untracked.length > 0;
}

/** `abc1234` or `abc1234-dirty` (short commit), or `unknown` outside a git checkout. */
export function sourceLabel(state: SourceState, length = 7): string {
  if (!state.commit) return 'unknown';
  return `${state.commit.slice(0, length)}${isDirty(state) ? '-dirty' : ''}`;
}

/** The commit measured, and whether the working tree differed from it (read-only git calls). */
export function sourceVersion(repoRoot: string): string {
  const state = sourceState(repoRoot);
  if (!state.commit) return 'unknown (not a git checkout)';
  const paths = state.changed.length + state.untracked.length;
  return paths === 0
    ? `commit ${sourceLabel(state)} (clean)`
    : `commit ${sourceLabel(state)} (${paths} changed/untracked path(s) in the working tree)`;
}

// ---------------------------------------------------------------------------------------------
// CPU accounting (Linux /proc): how busy the server was, and whether anything else competed.

export interface CpuSample {
  at: bigint;
  /** Busy ticks of all CPUs together (user + nice + system + irq + softirq + steal). */
  machineBusy: number;
  /** user + system ticks per watched process. */
  processes: Map<number, number>;
  /** Bytes and calls written (files and sockets) per watched process, from /proc/PID/io. */
  io: Map<number, { bytes: number; calls: number }>;
}

const TICKS_PER_SECOND = 100;

function processTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may contain spaces; utime and stime are 14th and 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return NaN;
  }
}

function processIo(pid: number): { bytes: number; calls: number } {
  try {
    const fields = new Map(
      readFileSync(`/proc/${pid}/io`, 'utf8')
        .split('\n')
        .map((line) => line.split(': ') as [string, string]),
    );
    return { bytes: Number(fields.get('wchar')), calls: Number(fields.get('syscw')) };
  } catch {
    return { bytes: NaN, calls: NaN };
  }
}

export function cpuSample(pids: readonly number[]): CpuSample {
  let machineBusy = NaN;
  try {
    const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
    const [user, nice, system, , , irq, softirq, steal] = ticks.map(Number);
    machineBusy = user + nice + system + irq + softirq + steal;
  } catch {
    // not Linux
  }
  return {
    at: process.hrtime.bigint(),
    machineBusy,
    processes: new Map(pids.map((pid) => [pid, processTicks(pid)])),
    io: new Map(pids.map((pid) => [pid, processIo(pid)])),
  };
}

export interface CpuUsage {
  seconds: number;
  /** CPU seconds per wall second of each watched process (1.0 = one core fully busy). */
  processes: Map<number, number>;
  /** CPU seconds per wall second used by everything else on the machine. */
  others: number;
  /** Bytes and write calls each watched process made in the interval. */
  written: Map<number, { bytes: number; calls: number }>;
}

export function cpuUsage(before: CpuSample, after: CpuSample): CpuUsage {
  const seconds = Number(after.at - before.at) / 1e9;
  const processes = new Map<number, number>();
  let watched = 0;
  for (const [pid, ticks] of after.processes) {
    const used = (ticks - (before.processes.get(pid) ?? NaN)) / TICKS_PER_SECOND;
    processes.set(pid, used / seconds);
    watched += used;
  }
  const machine = (after.machineBusy - before.machineBusy) / TICKS_PER_SECOND;
  const written = new Map<number, { bytes: number; calls: number }>();
  for (const [pid, io] of after.io) {
    const start = before.io.get(pid) ?? { bytes: NaN, calls: NaN };
    written.set(pid, { bytes: io.bytes - start.bytes, calls: io.calls - start.calls });
  }
  return { seconds, processes, others: Math.max(0, machine - watched) / seconds, written };
}
