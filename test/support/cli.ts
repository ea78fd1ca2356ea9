import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { format } from 'node:util';

const REGISTER_TS = join(__dirname, 'register-ts.cjs');
const CLI = join(__dirname, '..', '..', 'apps', 'cli', 'src', 'main.ts');

export interface CliRun {
  child: ChildProcess;
  /** Resolves when the process ends: its exit code (null when killed) and signal. */
  done: Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
  }>;
  stdout(): string;
  stderr(): string;
}

/**
 * Runs the admin CLI (`apps/cli/src/main.ts`, the TypeScript as it is) as a child process with
 * `env` added to this process's environment. `onStderr` sees standard error as it comes.
 */
export function startCli(
  args: string[],
  env: Record<string, string>,
  onStderr?: (text: string, run: CliRun) => void,
): CliRun {
  const child = spawn(process.execPath, ['-r', REGISTER_TS, CLI, ...args], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const run: CliRun = {
    child,
    stdout: () => out,
    stderr: () => err,
    done: new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ code, signal, stdout: out, stderr: err }));
    }),
  };
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => {
    err += chunk.toString('utf8');
    onStderr?.(err, run);
  });
  return run;
}

/** Runs the CLI to its end. */
export function runCli(args: string[], env: Record<string, string>) {
  return startCli(args, env).done;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

let inProcessQueue: Promise<unknown> = Promise.resolve();

/**
 * Runs the admin CLI in this process: the same `runCli` that `apps/cli/src/main.ts` exits
 * with, on the same argument parsing, commands and stores, with `env` laid over the environment
 * and standard output and error (console included) captured. It saves a child process's start
 * (a second or more of CPU each); tests that need a real process (a kill, a concurrent writer,
 * the entry point itself) use `startCli`. Runs one at a time: the environment and the output
 * streams are the process's own.
 */
export function runCliInProcess(args: string[], env: Record<string, string>): Promise<CliResult> {
  const run = inProcessQueue.then(() => runCaptured(args, { LOG_LEVEL: 'warn', ...env }));
  inProcessQueue = run.catch(() => undefined);
  return run;
}

async function runCaptured(args: string[], env: Record<string, string>): Promise<CliResult> {
  // Loaded here, not at the top: specs that only spawn the CLI need not load the app.
  const { runCli: run } = await import('../../apps/cli/src/run-cli');
  const { describeError, exitCodeFor } = await import('../../apps/cli/src/cli-errors');
  let stdout = '';
  let stderr = '';
  const toOut = (text: string) => void (stdout += text);
  const toErr = (text: string) => void (stderr += text);
  const saved = {
    env: { ...process.env },
    out: process.stdout.write,
    err: process.stderr.write,
    log: console.log,
    info: console.info,
    warn: console.warn,
    error: console.error,
  };
  const writer =
    (sink: (text: string) => void) =>
    (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
      sink(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    };
  const line =
    (sink: (text: string) => void) =>
    (...values: unknown[]) =>
      sink(`${format(...values)}\n`);
  Object.assign(process.env, env);
  process.stdout.write = writer(toOut) as typeof process.stdout.write;
  process.stderr.write = writer(toErr) as typeof process.stderr.write;
  console.log = console.info = line(toOut);
  console.warn = console.error = line(toErr);
  try {
    // As main.ts does with what runCli throws.
    const code = await run(args).catch((error: unknown) => {
      console.error(describeError(error));
      return exitCodeFor(error);
    });
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = saved.out;
    process.stderr.write = saved.err;
    Object.assign(console, {
      log: saved.log,
      info: saved.info,
      warn: saved.warn,
      error: saved.error,
    });
    for (const key of Object.keys(process.env)) if (!(key in saved.env)) delete process.env[key];
    Object.assign(process.env, saved.env);
  }
}
