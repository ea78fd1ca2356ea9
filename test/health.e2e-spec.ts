import { EVENT_STORE, type EventStore } from '@custodian/event-store';
import { ProjectionRunner } from '@custodian/projections';
import { READ_STORE, type ReadStore } from '@custodian/read-store';
import { request, startTestApp, type TestApp } from '@test/support';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

describe('GET /health (real app, embedded stores)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t.close());

  it('answers 200 with store status and projection lag', async () => {
    const { status, body } = await request(`${t.baseUrl}/health`);
    expect(status).toBe(200);
    expect(body.status).toBe('ok');
    expect(body.details.eventStore).toEqual({ status: 'up', adapter: 'sqlite' });
    expect(body.details.readStore).toEqual({ status: 'up', adapter: 'sqlite' });
    expect(body.details.projections.status).toBe('up');
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

  it('reports projection progress after events are appended', async () => {
    const events = t.app.get<EventStore>(EVENT_STORE);
    const result = await events.append('test-health', [{ type: 'HealthProbed', data: {} }]);
    await t.app.get(ProjectionRunner).waitFor(result.position);
    const { body } = await request(`${t.baseUrl}/health`);
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

  it('answers 503 naming the store when a store is unreachable', async () => {
    const reads = t.app.get<ReadStore>(READ_STORE);
    const ping = jest.spyOn(reads, 'ping').mockRejectedValue(new Error('disk gone'));
    const { status, body } = await request(`${t.baseUrl}/health`);
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

describe('GET /health when the projector runs in another process', () => {
  it('answers 200 and reports lag from stored checkpoints before any projector has run', async () => {
    const t = await startTestApp({ CUSTODIAN_PROJECTOR: 'off' });
    try {
      await t.app
        .get<EventStore>(EVENT_STORE)
        .append('test-remote', [{ type: 'Probed', data: {} }]);
      const { status, body } = await request(`${t.baseUrl}/health`);
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
});

describe('start-up configuration', () => {
  it('refuses to start on bad values, naming each variable', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'apps/api/src/main.ts'], {
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
