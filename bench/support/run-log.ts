/**
 * The run log: everything a bench prints is also written to
 * `bench/results/<bench>/<UTC date and time>-<short commit>[-dirty].md`, headed by the commit
 * (`git rev-parse HEAD`, `-dirty` when the working tree differs from it), the command line, the
 * BENCH_* environment and the machine, and closed by the exit code. A figure quoted in a README
 * can then name the file it was copied from. `--no-log` (or BENCH_NO_LOG=1) turns it off.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import os from 'node:os';
import { join, relative } from 'node:path';
import { isDirty, machineInfo, RESULTS_DIR, sourceLabel, sourceState } from './machine';
import { NO_LOG_OPTION } from './options';

/** Whether `--no-log` was given (or BENCH_NO_LOG set to anything but 0 / false). */
export function runLogDisabled(argv: readonly string[]): boolean {
  const arg = argv.find((a) => a === `--${NO_LOG_OPTION}` || a.startsWith(`--${NO_LOG_OPTION}=`));
  const value = arg ? (arg.split('=')[1] ?? 'true') : process.env.BENCH_NO_LOG;
  return value !== undefined && value !== '0' && value !== 'false';
}

/** `2026-11-28T203612Z`: sorts by time, no characters that need quoting. */
function stamp(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace(/:/g, '')}Z`;
}

/**
 * Starts teeing stdout and stderr into a new log file for `bench` (the npm script's suffix:
 * `consent` for `npm run bench:consent`); returns its path relative to the repository.
 */
export function startRunLog(bench: string, repoRoot: string, argv: readonly string[]): string {
  const started = new Date();
  const source = sourceState(repoRoot);
  const dir = join(repoRoot, RESULTS_DIR, bench);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${stamp(started)}-${sourceLabel(source)}.md`);
  const fd = openSync(file, 'wx');
  const write = (text: string) => {
    try {
      writeSync(fd, text);
    } catch {
      // a full disk must not stop the bench; its output still reaches the terminal
    }
  };

  const machine = machineInfo(repoRoot);
  const [load1, load5, load15] = os.loadavg();
  const env = Object.entries(process.env)
    .filter(([name]) => name.startsWith('BENCH_'))
    .map(([name, value]) => `${name}=${value ?? ''}`);
  const list = (paths: string[]) =>
    paths.length === 0
      ? 'none'
      : paths
          .slice(0, 20)
          .map((p) => `\`${p.trim()}\``)
          .join(', ') + (paths.length > 20 ? `, and ${paths.length - 20} more` : '');
  write(
    [
      `# bench:${bench} run log`,
      '',
      `- command: \`npm run bench:${bench}${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}\``,
      `- BENCH_* environment: ${env.length > 0 ? env.map((e) => `\`${e}\``).join(', ') : 'none'}`,
      `- started: ${started.toISOString()}`,
      `- commit: \`${source.commit ?? 'unknown (not a git checkout)'}${isDirty(source) ? '-dirty' : ''}\``,
      `- tracked files changed from the commit: ${list(source.changed)}`,
      `- untracked files (outside ${RESULTS_DIR}/): ${list(source.untracked)}`,
      `- machine: node ${machine.node} (V8 ${machine.v8}), ${machine.platform}; ` +
        `${machine.cpuCount} x ${machine.cpuModel}; ${machine.memoryGiB.toFixed(1)} GiB RAM; ` +
        `repository on ${machine.storage}`,
      `- load average at start: ${load1.toFixed(2)} / ${load5.toFixed(2)} / ${load15.toFixed(2)} (1 / 5 / 15 min)`,
      '',
      'Everything the bench printed (stdout and stderr):',
      '',
      '```text',
      '',
    ].join('\n'),
  );

  const toTerminal = process.stdout.write.bind(process.stdout);
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      write(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      return original(chunk, ...rest);
    }) as typeof stream.write;
  }

  process.once('exit', (code) => {
    const seconds = (Date.now() - started.getTime()) / 1000;
    write(
      [
        '',
        '```',
        '',
        `Exit code ${code}; finished ${new Date().toISOString()} after ${seconds.toFixed(0)} s; ` +
          `load average at the end ${os.loadavg()[0].toFixed(2)}.`,
        '',
      ].join('\n'),
    );
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    toTerminal(`run log kept in ${relative(repoRoot, file)}\n`);
  });
  return relative(repoRoot, file);
}
