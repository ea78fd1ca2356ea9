/**
 * Reads a V8 .cpuprofile and tells where the time went: self time per function, inclusive
 * ("total") time per function, and self time per package / library.
 *
 *   npx tsx bench/support/cpu-profile.ts <file.cpuprofile> [--top=25] [--callers=name]
 *
 * `--callers=all` lists the call paths (innermost first) that account for the self time of the
 * functions named `all`: which code makes the native SQLite calls, say.
 */
import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { formatMs, padEnd, padStart } from './stats';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  name: string;
  where: string;
  module: string;
  ms: number;
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  idleMs: number;
  gcMs: number;
  self: ProfileEntry[];
  inclusive: ProfileEntry[];
  modules: Array<{ module: string; ms: number; share: number }>;
}

const REPO_ROOT = resolve(__dirname, '..', '..');

function location(frame: CallFrame): string {
  if (!frame.url) return '';
  let url = frame.url.replace(/^file:\/\//, '');
  const inRepo = /\/((?:node_modules|dist)\/.*)$/.exec(url);
  if (inRepo) url = inRepo[1];
  else if (url.startsWith('/')) url = relative(REPO_ROOT, url);
  return `${url}:${frame.lineNumber + 1}`;
}

/** The package or part of the app a frame belongs to. */
function moduleOf(frame: CallFrame): string {
  const url = frame.url.replace(/^file:\/\//, '');
  if (frame.functionName.startsWith('(') && !url) return frame.functionName;
  if (!url) return '(native: V8 builtins, C++ bindings)';
  if (url.startsWith('node:')) return 'node: (core)';
  const packages = [...url.matchAll(/node_modules\/((?:@[^/]+\/)?[^/]+)/g)];
  if (packages.length > 0) return packages[packages.length - 1][1];
  const own = /dist\/(apps|libs)\/([^/]+)/.exec(url);
  if (own) return `custodian ${own[1]}/${own[2]}`;
  return relative(REPO_ROOT, url);
}

export function summarizeProfile(profile: CpuProfile, top = 25): ProfileSummary {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) byId.set(node.id, node);
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id);

  const keyOf = (node: ProfileNode) =>
    `${node.callFrame.functionName || '(anonymous)'}\u0000${location(node.callFrame)}`;
  const frameOfKey = new Map<string, CallFrame>();
  for (const node of profile.nodes) frameOfKey.set(keyOf(node), node.callFrame);

  // Distinct function keys on each node's stack (a recursive function counts once).
  const stackKeys = new Map<number, string[]>();
  const keysFor = (id: number): string[] => {
    const cached = stackKeys.get(id);
    if (cached) return cached;
    const node = byId.get(id)!;
    const up = parent.has(id) ? keysFor(parent.get(id)!) : [];
    const key = keyOf(node);
    const keys = up.includes(key) ? up : [...up, key];
    stackKeys.set(id, keys);
    return keys;
  };

  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const modules = new Map<string, number>();
  let totalUs = 0;
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    // The time until the next sample belongs to this one.
    const us = i + 1 < timeDeltas.length ? Math.max(0, timeDeltas[i + 1]) : 0;
    totalUs += us;
    const node = byId.get(samples[i])!;
    const key = keyOf(node);
    self.set(key, (self.get(key) ?? 0) + us);
    const module = moduleOf(node.callFrame);
    modules.set(module, (modules.get(module) ?? 0) + us);
    for (const k of keysFor(node.id)) inclusive.set(k, (inclusive.get(k) ?? 0) + us);
  }

  const entries = (map: Map<string, number>, skip: (name: string) => boolean) =>
    [...map.entries()]
      .map(([key, us]) => {
        const [name, where] = key.split('\u0000');
        return {
          name,
          where,
          module: moduleOf(frameOfKey.get(key)!),
          ms: us / 1000,
          share: totalUs ? us / totalUs : 0,
        };
      })
      .filter((e) => !skip(e.name))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top);
  const special = (name: string) => ['(root)', '(program)', '(idle)'].includes(name);
  return {
    totalMs: totalUs / 1000,
    idleMs: (self.get(`(idle)\u0000`) ?? 0) / 1000,
    gcMs: (self.get(`(garbage collector)\u0000`) ?? 0) / 1000,
    self: entries(self, () => false),
    inclusive: entries(inclusive, special),
    modules: [...modules.entries()]
      .map(([module, us]) => ({ module, ms: us / 1000, share: totalUs ? us / totalUs : 0 }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top),
  };
}

/** Self time of the functions called `name`, by their nearest `depth` callers. */
export function callersOf(
  profile: CpuProfile,
  name: string,
  depth = 4,
  top = 15,
): Array<{ path: string; ms: number; share: number }> {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) byId.set(node.id, node);
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id);
  const label = (node: ProfileNode) => {
    const where = location(node.callFrame);
    return `${node.callFrame.functionName || '(anonymous)'}${where ? ` (${where})` : ''}`;
  };
  const paths = new Map<string, number>();
  let totalUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const us = i + 1 < profile.timeDeltas.length ? Math.max(0, profile.timeDeltas[i + 1]) : 0;
    totalUs += us;
    const node = byId.get(profile.samples[i])!;
    if (node.callFrame.functionName !== name) continue;
    const path: string[] = [];
    for (let id = parent.get(node.id); id !== undefined && path.length < depth; id = parent.get(id))
      path.push(label(byId.get(id)!));
    const key = path.join('\n      <- ');
    paths.set(key, (paths.get(key) ?? 0) + us);
  }
  return [...paths.entries()]
    .map(([path, us]) => ({ path, ms: us / 1000, share: totalUs ? us / totalUs : 0 }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, top);
}

export interface Bucket {
  label: string;
  match(frame: { functionName: string; url: string }): boolean;
}

/** Matches the function `name` defined in a file whose URL contains `file`. */
export function inFunction(name: string, file: string): Bucket['match'] {
  return (frame) => frame.functionName === name && frame.url.includes(file);
}

/** Matches any frame in a file whose URL contains one of `parts`. */
export function inFile(...parts: string[]): Bucket['match'] {
  return (frame) => parts.some((part) => frame.url.includes(part));
}

/** Matches the projections: their code, the read store, and the event log subscriptions. */
export const inProjections: Bucket['match'] = (f) =>
  f.url.includes('/projections/src/') ||
  f.url.includes('sqlite-read-store') ||
  (f.url.includes('sqlite-event-store') &&
    ['subscribeAll', 'countEventsAfter', 'waitForEventsAfter', 'wakeWaiters'].includes(
      f.functionName,
    ));

/**
 * Splits the sampled time into buckets: each sample goes to the innermost frame on its stack
 * that some bucket matches (the first such bucket), or to `rest`.
 */
export function bucketize(
  profile: CpuProfile,
  buckets: readonly Bucket[],
  rest = 'everything else',
): Array<{ label: string; ms: number; share: number }> {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) byId.set(node.id, node);
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id);
  const bucketOfNode = new Map<number, string>();
  const bucketFor = (id: number): string => {
    const cached = bucketOfNode.get(id);
    if (cached !== undefined) return cached;
    const frame = byId.get(id)!.callFrame;
    const own = buckets.find((b) => b.match(frame))?.label;
    const label = own ?? (parent.has(id) ? bucketFor(parent.get(id)!) : rest);
    bucketOfNode.set(id, label);
    return label;
  };
  const totals = new Map<string, number>();
  let totalUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const us = i + 1 < profile.timeDeltas.length ? Math.max(0, profile.timeDeltas[i + 1]) : 0;
    totalUs += us;
    const label = bucketFor(profile.samples[i]);
    totals.set(label, (totals.get(label) ?? 0) + us);
  }
  return [...totals.entries()]
    .map(([label, us]) => ({ label, ms: us / 1000, share: totalUs ? us / totalUs : 0 }))
    .sort((a, b) => b.ms - a.ms);
}

export function formatBuckets(
  rows: ReadonlyArray<{ label: string; ms: number; share: number }>,
  title: string,
  perUnit?: { count: number; unit: string },
): string {
  const out = [title];
  for (const row of rows) {
    const each = perUnit
      ? `  ${padStart((row.ms / perUnit.count).toFixed(3), 7)} ms/${perUnit.unit}`
      : '';
    out.push(
      `  ${padStart(formatMs(row.ms, 0), 10)} ${padStart(pct(row.share), 6)}${each}  ${row.label}`,
    );
  }
  return out.join('\n');
}

export function readProfile(file: string): CpuProfile {
  return JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
}

const pct = (share: number) => `${(share * 100).toFixed(1)}%`;

export function formatProfileSummary(summary: ProfileSummary, title: string): string {
  const out: string[] = [];
  const busy = summary.totalMs - summary.idleMs;
  out.push(
    `${title}: ${formatMs(summary.totalMs, 0)} sampled, ${pct(busy / (summary.totalMs || 1))} busy, ` +
      `GC ${formatMs(summary.gcMs, 0)}`,
  );
  const row = (e: ProfileEntry) =>
    `  ${padStart(formatMs(e.ms, 0), 10)} ${padStart(pct(e.share), 6)}  ${padEnd(e.name, 34)} ${e.where || e.module}`;
  out.push('  self time (where the CPU actually was):');
  out.push(...summary.self.map(row));
  out.push('  inclusive time (function and everything it called):');
  out.push(...summary.inclusive.map(row));
  out.push('  self time by package / library:');
  out.push(
    ...summary.modules.map(
      (m) => `  ${padStart(formatMs(m.ms, 0), 10)} ${padStart(pct(m.share), 6)}  ${m.module}`,
    ),
  );
  return out.join('\n');
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const file = args.find((a) => !a.startsWith('--'));
  const topArg = args.find((a) => a.startsWith('--top='));
  if (!file) {
    console.error(
      'usage: tsx bench/support/cpu-profile.ts <file.cpuprofile> [--top=25] [--callers=name]',
    );
    process.exit(2);
  }
  const top = topArg ? Number(topArg.slice('--top='.length)) : 25;
  const callers = args.find((a) => a.startsWith('--callers='))?.slice('--callers='.length);
  const profile = readProfile(file);
  if (callers) {
    console.log(`self time of "${callers}" by caller:`);
    for (const c of callersOf(profile, callers, 5, top))
      console.log(`${padStart(formatMs(c.ms, 0), 8)} ${padStart(pct(c.share), 6)}  <- ${c.path}`);
  } else {
    console.log(formatProfileSummary(summarizeProfile(profile, top), file));
  }
}
