/**
 * Builds the rebuild bench's log THROUGH THE DOMAIN: the real API application (from `dist/`,
 * built by `npm run build`, so Nest's decorator metadata is there) is created in this process,
 * not listening, and commands go onto its CommandBus, handled by the same handlers and
 * CommandExecutor as HTTP requests (validation, vault encryption, deciders, appends). Its
 * projections run live meanwhile, so the data dir ends with the live read models the rebuilt
 * ones are compared with.
 *
 *   tsx bench/rebuild/build-log.ts <dataDir> <events> <customers>
 *
 * Run as a child by rebuild.bench.ts when its cache has no log of that size. Prints one JSON
 * line at the end: { events, customers, seconds }.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { purposeDefinition } from '../../libs/domain/src/testing/purpose.fixtures';

/* eslint-disable @typescript-eslint/no-require-imports */
const DIST = join(__dirname, '..', '..', 'dist');
const load = <T>(path: string): T => require(join(DIST, path)) as T;

interface Meta {
  actor: { id: string; role: string };
  requestId: string;
  causationId: string;
  now: Date;
}
type Ctor = new (...args: unknown[]) => object;

const PURPOSES = ['newsletter', 'profiling'];
const CONCURRENCY = 64;

async function main(): Promise<void> {
  const [dataDir, eventsArg, customersArg] = process.argv.slice(2);
  const target = Number(eventsArg);
  const customers = Number(customersArg);
  if (!dataDir || !(target > 0) || !(customers > 0))
    throw new Error('usage: build-log.ts <dataDir> <events> <customers>');
  const { createApi } = load<{ createApi(config: unknown): Promise<AppLike> }>(
    'apps/api/src/create-api.js',
  );
  const platform = load<{
    loadConfig(env: Record<string, string>): { shutdownTimeoutMs: number };
    stopApp(app: unknown, timeoutMs: number): Promise<unknown>;
  }>('libs/platform/src/index.js');
  const { RegisterPurposeCommand } = load<Record<string, Ctor>>(
    'apps/api/src/purposes/register-purpose.command.js',
  );
  const { PublishNoticeCommand } = load<Record<string, Ctor>>(
    'apps/api/src/purposes/publish-notice.command.js',
  );
  const { ActivatePurposeCommand } = load<Record<string, Ctor>>(
    'apps/api/src/purposes/activate-purpose.command.js',
  );
  const { RegisterSubjectCommand } = load<Record<string, Ctor>>(
    'apps/api/src/subjects/register-subject.command.js',
  );
  const { RecordConsentCommand } = load<Record<string, Ctor>>(
    'apps/api/src/consents/record-consent.command.js',
  );
  const { CommandBus } = require('@nestjs/cqrs') as { CommandBus: Ctor };
  const { EVENT_STORE } = load<{ EVENT_STORE: symbol }>('libs/event-store/src/index.js');

  const config = platform.loadConfig({ CUSTODIAN_DATA_DIR: dataDir, LOG_LEVEL: 'warn', PORT: '0' });
  const app = await createApi(config);
  await app.init();
  const bus = app.get(CommandBus) as { execute(command: object): Promise<unknown> };
  const events = app.get(EVENT_STORE) as {
    countEventsAfter(after: undefined, cap: number): Promise<number>;
  };
  const meta = (role: string): Meta => ({
    actor: { id: role === 'dpo' ? 'admin' : `bench-${role}`, role },
    requestId: randomUUID(),
    causationId: randomUUID(),
    now: new Date(),
  });
  const started = Date.now();
  const base = purposeDefinition();
  for (const purposeId of PURPOSES) {
    await bus.execute(
      new RegisterPurposeCommand(
        purposeDefinition({
          purposeId,
          title: purposeId,
          assessment: { ...base.assessment, minimumFields: ['email', 'name'] },
        }),
        meta('admin'),
      ),
    );
    await bus.execute(
      new PublishNoticeCommand(
        purposeId,
        {
          version: 'v1',
          language: 'en',
          url: `https://example.com/notices/${purposeId}/v1`,
          textSha256: 'ab'.repeat(32),
          requiresReconsent: false,
        },
        meta('admin'),
      ),
    );
    await bus.execute(new ActivatePurposeCommand(purposeId, meta('dpo')));
  }
  const subjectIds: string[] = [];
  await inParallel(customers, async (i) => {
    const outcome = (await bus.execute(
      new RegisterSubjectCommand(
        { name: `Customer ${i}`, email: `customer-${i}@example.com` },
        'shop',
        meta('service'),
      ),
    )) as { subjectId: string };
    subjectIds.push(outcome.subjectId);
    if ((i + 1) % 10_000 === 0) progress(`${i + 1} customers`);
  });
  // Each consent command appends one event; count what registration appended, then fill up.
  let total = await events.countEventsAfter(undefined, Number.MAX_SAFE_INTEGER);
  const consents = Math.max(0, target - total);
  await inParallel(consents, async (i) => {
    const subjectId = subjectIds[i % subjectIds.length];
    const round = Math.floor(i / subjectIds.length);
    await bus.execute(
      new RecordConsentCommand(
        subjectId,
        {
          purposeId: PURPOSES[round % PURPOSES.length],
          action: Math.floor(round / PURPOSES.length) % 2 === 0 ? 'grant' : 'revoke',
          noticeVersion: 'v1',
          evidence: {
            channel: 'web',
            collectionPoint: 'signup-form-v3',
            method: 'checkbox_opt_in',
            language: 'en',
            jurisdiction: 'DE',
          },
        },
        false,
        meta('service'),
      ),
    );
    if ((i + 1) % 50_000 === 0) progress(`${i + 1} consents`);
  });
  total = await events.countEventsAfter(undefined, Number.MAX_SAFE_INTEGER);
  const seconds = (Date.now() - started) / 1000;
  // The live read models must have caught up before they are compared with rebuilt ones.
  const runner = app.get(
    load<{ ProjectionRunner: Ctor }>('libs/projections/src/index.js').ProjectionRunner,
  ) as {
    status(): Array<{ state: string }>;
    lag(): Promise<Array<{ eventsBehind: number }>>;
  };
  for (;;) {
    const lag = await runner.lag();
    if (lag.every((l) => l.eventsBehind === 0) && runner.status().every((s) => s.state === 'live'))
      break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await platform.stopApp(app, config.shutdownTimeoutMs);
  console.log(JSON.stringify({ events: total, customers, seconds }));
}

interface AppLike {
  init(): Promise<unknown>;
  get(token: unknown): unknown;
}

function progress(message: string): void {
  process.stderr.write(`  built ${message}\n`);
}

/** Runs `count` tasks, at most CONCURRENCY at once (their appends group-commit). */
async function inParallel(count: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, count) }, worker));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
