import { createApi } from '../../apps/api/src/create-api';
import { loadConfig, stopApp, type Clock, type CustodianConfig } from '@custodian/platform';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestActor {
  id: string;
  roles: string[];
  /** A person signs in with JWTs only (no API key); the default is a key actor. */
  kind?: 'person';
}

export interface TestApp {
  app: NestFastifyApplication;
  config: CustodianConfig;
  baseUrl: string;
  dataDir: string;
  /** API key of each actor (the embedded admin is "admin"). */
  keys: Record<string, string>;
  /** Stops the app and removes its data directory. */
  close(): Promise<void>;
  /** Stops the app, keeping its files for inspection. */
  stop(): Promise<void>;
}

/** A deterministic test key for an actor. */
export const testKey = (actorId: string) => `test-key-${actorId}-0123456789abcdef`;

export interface TestAppOptions {
  /** The clock the app reads time from (a ManualClock moves it without sleeping). */
  clock?: Clock;
}

/** Boots the real API on the embedded stores in a fresh data directory, listening on 127.0.0.1. */
export async function startTestApp(
  envOrFactory: Record<string, string> | ((dataDir: string) => Record<string, string>) = {},
  actors?: TestActor[],
  options: TestAppOptions = {},
): Promise<TestApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'custodian-e2e-'));
  let env = typeof envOrFactory === 'function' ? envOrFactory(dataDir) : envOrFactory;
  const keys: Record<string, string> = {};
  if (actors) {
    const file = join(dataDir, 'test-actors.json');
    writeFileSync(
      file,
      JSON.stringify({
        actors: actors.map((a) => (a.kind === 'person' ? a : { ...a, apiKey: testKey(a.id) })),
      }),
      // Owner-only: start-up refuses an actors file group or others may read or write.
      { mode: 0o600 },
    );
    for (const actor of actors) if (actor.kind !== 'person') keys[actor.id] = testKey(actor.id);
    env = { CUSTODIAN_ACTORS_FILE: file, ...env };
  }
  const config = loadConfig({ CUSTODIAN_DATA_DIR: dataDir, LOG_LEVEL: 'warn', PORT: '0', ...env });
  const app = await createApi(config, { clock: options.clock });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : 0;
  if (!actors) {
    const generated = JSON.parse(readFileSync(config.actorsFile, 'utf8')) as {
      actors: Array<{ id: string; apiKey: string }>;
    };
    for (const actor of generated.actors) keys[actor.id] = actor.apiKey;
  }
  return {
    app,
    config,
    dataDir,
    keys,
    baseUrl: `http://127.0.0.1:${port}`,
    close: async () => {
      await stopWithin(app, config.shutdownTimeoutMs);
      rmSync(dataDir, { recursive: true, force: true });
    },
    stop: () => stopWithin(app, config.shutdownTimeoutMs),
  };
}

/** Stops the app as the entry points do; a stop that runs out of time fails, naming what it left. */
async function stopWithin(app: NestFastifyApplication, timeoutMs: number): Promise<void> {
  const outcome = await stopApp(app, { timeoutMs });
  if (!outcome.completed)
    throw new Error(
      `the app did not stop within ${timeoutMs} ms; pending: ${outcome.pending.join('; ')}`,
    );
}
