/**
 * The real API as a child process for HTTP benches: build it, start `dist/apps/api/src/main.js`
 * on 127.0.0.1 with its own data dir and actors file, wait for /health, stop it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '..', '..');
export const API_MAIN = join(REPO_ROOT, 'dist', 'apps', 'api', 'src', 'main.js');
/** `npm start`'s entry: the API, and apps/projector forked beside it (apps/api/src/start.ts). */
export const LAUNCHER_MAIN = join(REPO_ROOT, 'dist', 'apps', 'api', 'src', 'start.js');
const CPU_PROFILER = join(__dirname, 'cpu-profiler.cjs');
const KEEP_ALIVE = join(__dirname, 'keep-alive.cjs');

/** The build failed or produced nothing to run; the compiler's output has been printed. */
export class BuildError extends Error {
  override readonly name = 'BuildError';
}

/** `npm run build --silent`: the bench always measures the code as it is in the working tree. */
export function buildApi(): void {
  const started = Date.now();
  process.stdout.write('building (npm run build) ... ');
  const result = spawnSync('npm', ['run', 'build', '--silent'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    process.stdout.write('failed\n');
    process.stderr.write(`${result.stdout ?? ''}${result.stderr ?? ''}`);
    throw new BuildError(`npm run build exited with ${result.status ?? result.signal}`);
  }
  if (!existsSync(API_MAIN)) throw new BuildError(`the build did not produce ${API_MAIN}`);
  process.stdout.write(`done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Cleanup on any exit: children killed, temp dirs removed, even on Ctrl-C or an uncaught error.

const liveChildren = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let handlersInstalled = false;

function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', () => {
    for (const child of liveChildren) child.kill('SIGKILL');
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping the API child and removing temp files`);
      process.exit(130);
    });
  }
}

/** Removed when the process exits, whatever the reason, unless removed before. */
export function registerTempDir(dir: string): void {
  installExitHandlers();
  tempDirs.add(dir);
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

// ---------------------------------------------------------------------------------------------

export const PROJECTOR_MAIN = join(REPO_ROOT, 'dist', 'apps', 'projector', 'src', 'main.js');

export interface StartOptions {
  dataDir: string;
  actorsFile: string;
  /** Extra environment for the child (on top of the bench's own, minus Custodian settings). */
  env?: Record<string, string>;
  /** Preload the IPC-driven CPU profiler (see cpu-profiler.cjs). */
  profiling?: boolean;
  readyTimeoutMs?: number;
  /** Start `npm start`'s launcher instead of `apps/api` alone: the projector is its child. */
  launcher?: boolean;
}

/** A Custodian process started by a bench. */
export interface CustodianChild {
  pid: number;
  /** The child's last lines of stdout/stderr, for error reports. */
  output(): string;
  /** Profile the child's CPU from now until `stopCpuProfile` (needs `profiling: true`). */
  startCpuProfile(samplingIntervalUs?: number): Promise<void>;
  stopCpuProfile(file: string): Promise<string>;
  /** SIGTERM (graceful: the stores close), SIGKILL after 5 s. */
  stop(): Promise<void>;
}

export interface ApiServer extends CustodianChild {
  baseUrl: string;
  port: number;
  /** With `launcher`: the projector process the launcher forked (its CPU counts too). */
  projectorPid: number | null;
}

/** The pids of a process's children (Linux /proc). */
function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

interface Spawned extends CustodianChild {
  exited(): { code: number | null; signal: NodeJS.Signals | null } | null;
}

function spawnCustodian(
  what: string,
  script: string,
  options: StartOptions,
  env: Record<string, string>,
  preload: string[] = [],
): Spawned {
  installExitHandlers();
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) =>
        !name.startsWith('CUSTODIAN_') &&
        !['EVENTSTORE_CONNECTION_STRING', 'MONGODB_URI', 'MONGODB_DATABASE'].includes(name),
    ),
  );
  const child = spawn(
    process.execPath,
    [
      ...preload.flatMap((file) => ['-r', file]),
      ...(options.profiling ? ['-r', CPU_PROFILER] : []),
      script,
    ],
    {
      cwd: REPO_ROOT,
      env: {
        ...inherited,
        CUSTODIAN_DATA_DIR: options.dataDir,
        CUSTODIAN_ACTORS_FILE: options.actorsFile,
        LOG_LEVEL: 'warn',
        ...env,
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe', ...(options.profiling ? (['ipc'] as const) : [])],
    },
  );
  liveChildren.add(child);
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (lines.length > 60) lines.splice(0, lines.length - 60);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exit = new Promise<void>((resolveExit) =>
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      liveChildren.delete(child);
      resolveExit();
    }),
  );

  const ask = (message: object, replyType: string) =>
    new Promise<Record<string, unknown>>((resolveReply, reject) => {
      if (!child.send) return reject(new Error(`the ${what} was not started with profiling`));
      const onMessage = (reply: unknown) => {
        const r = reply as Record<string, unknown>;
        if (r?.type === replyType) {
          child.off('message', onMessage);
          resolveReply(r);
        } else if (r?.type === 'cpu-profile:error') {
          child.off('message', onMessage);
          reject(new Error(`CPU profiler: ${String(r.message)}`));
        }
      };
      child.on('message', onMessage);
      child.send(message);
    });

  return {
    pid: child.pid ?? -1,
    exited: () => exited,
    output: () => lines.join('\n'),
    startCpuProfile: async (samplingIntervalUs = 1000) => {
      await ask({ type: 'cpu-profile:start', samplingIntervalUs }, 'cpu-profile:started');
    },
    stopCpuProfile: async (file: string) => {
      const reply = await ask({ type: 'cpu-profile:stop', file }, 'cpu-profile:written');
      return String(reply.file);
    },
    stop: async () => {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exit;
      clearTimeout(timer);
    },
  };
}

/** `dist/apps/api/src/main.js` on 127.0.0.1 and a free port; resolves once /health is 200. */
export async function startApi(options: StartOptions): Promise<ApiServer> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const child = spawnCustodian('API', options.launcher ? LAUNCHER_MAIN : API_MAIN, options, {
    PORT: String(port),
    HOST: '127.0.0.1',
  });
  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  for (;;) {
    const exited = child.exited();
    if (exited) {
      throw new Error(
        `the API exited during start-up (${exited.code ?? exited.signal}):\n${child.output()}`,
      );
    }
    try {
      const response = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await child.stop();
      throw new Error(`the API did not become healthy within the timeout:\n${child.output()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  let projectorPid: number | null = null;
  if (options.launcher) {
    // The launcher forks the projector once the API is made, before it listens.
    const children = childPids(child.pid);
    if (children.length !== 1)
      throw new Error(`the launcher should have one child (the projector), has ${children.length}`);
    projectorPid = children[0];
  }
  const { exited: _exited, ...rest } = child;
  return { ...rest, baseUrl, port, projectorPid };
}

/**
 * `dist/apps/projector/src/main.js` on the same data dir (start the API with
 * CUSTODIAN_PROJECTOR=off beside it). It has no health endpoint: resolves once it has run for
 * a moment without exiting.
 */
export async function startProjector(options: StartOptions): Promise<CustodianChild> {
  if (!existsSync(PROJECTOR_MAIN)) throw new Error(`${PROJECTOR_MAIN} is missing: build first`);
  // See keep-alive.cjs: without it the projector exits as soon as it has started.
  const child = spawnCustodian('projector', PROJECTOR_MAIN, options, {}, [KEEP_ALIVE]);
  await new Promise((r) => setTimeout(r, 1500));
  const exited = child.exited();
  if (exited) {
    throw new Error(
      `the projector exited during start-up (${exited.code ?? exited.signal}):\n${child.output()}`,
    );
  }
  const { exited: _exited, ...rest } = child;
  return rest;
}
