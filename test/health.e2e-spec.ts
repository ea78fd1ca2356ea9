import { EVENT_STORE, type EventStore } from '@custodian/event-store';
import { ProjectionRunner } from '@custodian/projections';
import { READ_STORE, type ReadStore } from '@custodian/read-store';
import { stopApp } from '@custodian/platform';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { request, startTestApp, waitFor, type TestApp } from '@test/support';
import { ProjectorModule } from '../apps/projector/src/projector.module';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

describe('GET /health (liveness) and GET /health/ready (readiness), real app, embedded stores', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t.close());

  it('/health answers 200 from the process alone, even while a store is down', async () => {
    const reads = t.app.get<ReadStore>(READ_STORE);
    const events = t.app.get<EventStore>(EVENT_STORE);
    const readPing = jest.spyOn(reads, 'ping').mockRejectedValue(new Error('disk gone'));
    const eventPing = jest.spyOn(events, 'ping').mockRejectedValue(new Error('disk gone'));
    try {
      const { status, body } = await request(`${t.baseUrl}/health`);
      expect(status).toBe(200);
      expect(body).toMatchObject({
        status: 'ok',
        info: { process: { status: 'up', pid: process.pid, uptimeSeconds: expect.any(Number) } },
      });
      expect(readPing).not.toHaveBeenCalled();
      expect(eventPing).not.toHaveBeenCalled();
    } finally {
      readPing.mockRestore();
      eventPing.mockRestore();
    }
  });

  it('/health/ready answers 200 with store status, lag and the bounds when caught up', async () => {
    const { status, body } = await request(`${t.baseUrl}/health/ready`);
    expect(status).toBe(200);
    expect(body.status).toBe('ok');
    expect(body.details.eventStore).toEqual({ status: 'up', adapter: 'sqlite' });
    expect(body.details.readStore).toEqual({ status: 'up', adapter: 'sqlite' });
    expect(body.details.projections).toMatchObject({
      status: 'up',
      runsHere: true,
      bounds: { maxLagEvents: 10_000, maxLagMs: 10_000 },
    });
    expect(body.details.projections.behind).toBeUndefined();
    const projections = body.details.projections.projections;
    expect(projections.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining([
        'event_counts',
        'purposes',
        'consent_state',
        'consent_receipts',
        'consent_daily',
      ]),
    );
    for (const projection of projections) {
      expect(projection).toMatchObject({ eventsBehind: 0, secondsBehind: 0, state: 'live' });
    }
    expect(existsSync(join(t.dataDir, 'events.sqlite'))).toBe(true);
    expect(existsSync(join(t.dataDir, 'read.sqlite'))).toBe(true);
  });

  it('/health/ready reports projection progress after events are appended, and stays 200', async () => {
    const events = t.app.get<EventStore>(EVENT_STORE);
    const result = await events.append('test-health', [{ type: 'HealthProbed', data: {} }]);
    await t.app.get(ProjectionRunner).waitFor(result.position);
    const { status, body } = await request(`${t.baseUrl}/health/ready`);
    expect(status).toBe(200);
    expect(body.details.projections.projections).toContainEqual(
      expect.objectContaining({ name: 'event_counts', position: result.position, eventsBehind: 0 }),
    );
    const reads = t.app.get<ReadStore>(READ_STORE);
    const counts = await reads.get(
      t.app.get(ProjectionRunner).collectionFor('event_counts'),
      'test:HealthProbed',
    );
    expect(counts).toMatchObject({ count: 1, category: 'test' });
  });

  it('/health/ready answers 503 naming the store when a store is unreachable', async () => {
    const reads = t.app.get<ReadStore>(READ_STORE);
    const ping = jest.spyOn(reads, 'ping').mockRejectedValue(new Error('disk gone'));
    const { status, body } = await request(`${t.baseUrl}/health/ready`);
    ping.mockRestore();
    expect(status).toBe(503);
    expect(body.status).toBe('error');
    expect(body.details.readStore).toMatchObject({ status: 'down', message: 'Error: disk gone' });
    expect(body.details.eventStore).toMatchObject({ status: 'up' });
  });

  it('answers unknown routes with the shared error shape', async () => {
    const { status, body } = await request(`${t.baseUrl}/v1/nothing-here`);
    expect(status).toBe(404);
    expect(body).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'no route matches this GET request',
    });
  });
});

/** What `apps/projector` does while alive: holds the `projector` lease (its heartbeat). */
async function beatAsProjector(t: TestApp, ttlMs = 60_000): Promise<void> {
  await t.app
    .get<ReadStore>(READ_STORE)
    .acquireLease({ name: 'projector', holder: 'projector-elsewhere/1/test', ttlMs });
}

describe('GET /health/ready when the projector runs in another process', () => {
  it('answers 503 while no projector heartbeat is live, and says so', async () => {
    const t = await startTestApp({ CUSTODIAN_PROJECTOR: 'off' });
    try {
      const before = await request(`${t.baseUrl}/health/ready`);
      expect(before.status).toBe(503);
      expect(before.body.details.leases).toMatchObject({
        status: 'down',
        singleton: { live: true, heldHere: true },
        projector: { name: 'projector', live: false, holder: null },
        problems: ['the projector runs in another process and its heartbeat is stale or missing'],
      });
      // A heartbeat that has run out counts as none.
      await beatAsProjector(t, 300);
      expect((await request(`${t.baseUrl}/health/ready`)).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 400));
      const stale = await request(`${t.baseUrl}/health/ready`);
      expect(stale.status).toBe(503);
      expect(stale.body.details.leases.projector).toMatchObject({
        live: false,
        holder: 'projector-elsewhere/1/test',
      });
    } finally {
      await t.close();
    }
  });

  it('answers 200 and reports lag from stored checkpoints before any projector has run', async () => {
    const t = await startTestApp({ CUSTODIAN_PROJECTOR: 'off' });
    try {
      await beatAsProjector(t);
      await t.app
        .get<EventStore>(EVENT_STORE)
        .append('test-remote', [{ type: 'Probed', data: {} }]);
      const { status, body } = await request(`${t.baseUrl}/health/ready`);
      expect(status).toBe(200);
      expect(body.details.projections).toMatchObject({ status: 'up', runsHere: false });
      expect(body.details.projections.projections).toContainEqual({
        name: 'event_counts',
        eventsBehind: 1,
        secondsBehind: expect.any(Number),
      });
    } finally {
      await t.close();
    }
  });

  it('answers 503 once writes leave the projections more events behind than the bound', async () => {
    const t = await startTestApp({
      CUSTODIAN_PROJECTOR: 'off',
      CUSTODIAN_READY_MAX_LAG_EVENTS: '2',
    });
    try {
      await beatAsProjector(t);
      expect((await request(`${t.baseUrl}/health/ready`)).status).toBe(200);
      const events = t.app.get<EventStore>(EVENT_STORE);
      for (let i = 0; i < 3; i++) await events.append('test-held', [{ type: 'Probed', data: {} }]);
      const { status, body } = await request(`${t.baseUrl}/health/ready`);
      expect(status).toBe(503);
      expect(body.status).toBe('error');
      expect(body.details.projections).toMatchObject({
        status: 'down',
        runsHere: false,
        bounds: { maxLagEvents: 2, maxLagMs: 10_000 },
      });
      const names = body.details.projections.projections.map((p: { name: string }) => p.name);
      expect(body.details.projections.behind).toEqual(names);
      expect(body.details.projections.projections).toContainEqual({
        name: 'event_counts',
        eventsBehind: 3,
        secondsBehind: expect.any(Number),
      });
      // Liveness is not readiness: the process still answers.
      expect((await request(`${t.baseUrl}/health`)).status).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('answers 503 while the oldest unapplied event is older than the bound, 200 once a projector catches up', async () => {
    const t = await startTestApp({ CUSTODIAN_PROJECTOR: 'off', CUSTODIAN_READY_MAX_LAG_MS: '300' });
    let projector: INestApplicationContext | undefined;
    try {
      const { position } = await t.app
        .get<EventStore>(EVENT_STORE)
        .append('test-stale', [{ type: 'Probed', data: {} }]);
      await new Promise((resolve) => setTimeout(resolve, 400));
      const stale = await request(`${t.baseUrl}/health/ready`);
      expect(stale.status).toBe(503);
      expect(stale.body.details.projections.bounds).toEqual({
        maxLagEvents: 10_000,
        maxLagMs: 300,
      });
      const eventCounts = stale.body.details.projections.projections.find(
        (p: { name: string }) => p.name === 'event_counts',
      );
      expect(eventCounts.eventsBehind).toBe(1);
      expect(eventCounts.secondsBehind).toBeGreaterThan(0.3);

      // The projector starts (as apps/projector does, on the same files) and catches up.
      projector = await NestFactory.createApplicationContext(
        ProjectorModule.forRoot({ ...t.config, projector: 'in-process' }),
        { logger: false },
      );
      await projector.init();
      await projector.get(ProjectionRunner).waitFor(position, { timeoutMs: 20_000 });
      await waitFor(
        async () => (await request(`${t.baseUrl}/health/ready`)).status === 200,
        20_000,
      );
      const { body } = await request(`${t.baseUrl}/health/ready`);
      for (const projection of body.details.projections.projections)
        expect(projection).toMatchObject({ eventsBehind: 0, secondsBehind: 0 });
    } finally {
      if (projector) await stopApp(projector, { timeoutMs: 10_000 });
      await t.close();
    }
  });
});

describe('start-up configuration', () => {
  it('refuses to start on bad values, naming each variable', () => {
    const registerTs = join(__dirname, 'support', 'register-ts.cjs');
    const result = spawnSync(process.execPath, ['-r', registerTs, 'apps/api/src/main.ts'], {
      env: { ...process.env, PORT: 'eighty', LOG_LEVEL: 'loud', CUSTODIAN_DATA_DIR: '/tmp/unused' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Invalid configuration');
    expect(result.stderr).toContain('PORT: must be an integer from 0 to 65535 (got "eighty")');
    expect(result.stderr).toContain('LOG_LEVEL: must be one of');
  });
});
