import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

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
