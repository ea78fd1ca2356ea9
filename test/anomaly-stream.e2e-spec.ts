import type { AnomalyDetected } from '@custodian/domain';
import { EVENT_STORE, newEventId, type EventStore } from '@custodian/event-store';
import { AnomalyStream } from '@custodian/platform';
import {
  ApiClient,
  openEventStream,
  startTestApp,
  waitFor,
  type EventStreamClient,
  type TestApp,
} from '@test/support';

/** Waits, bounded and generous (the machine may be busy), naming what it waited for. */
const until = (what: string, condition: () => boolean | Promise<boolean>) =>
  waitFor(async () => condition(), 20_000).catch(() => {
    throw new Error(`waited 20 s for ${what}`);
  });

/** An anomaly as the detector appends it, written straight to the log. */
const anomaly = (n: number): AnomalyDetected['data'] => ({
  anomalyId: newEventId(),
  ruleId: `rule-${n}`,
  ruleSetVersion: 1,
  description: 'test anomaly',
  actorId: `staff-${n}`,
  role: 'sales',
  measure: 'distinctCustomers',
  window: 'PT10M',
  windowStart: '2026-01-01T10:00:00.000Z',
  windowEnd: '2026-01-01T10:10:00.000Z',
  value: 5,
  threshold: 5,
  action: 'alert',
  detectedAt: '2026-01-01T10:05:00.000Z',
});

describe('GET /v1/dashboard/anomalies/stream: one shared subscription for every client', () => {
  let t: TestApp;
  let events: EventStore;
  let stream: AnomalyStream;
  let url: string;
  let headers: Record<string, string>;
  const open: EventStreamClient[] = [];

  beforeAll(async () => {
    t = await startTestApp({}, [{ id: 'board-1', roles: ['dashboard'] }]);
    events = t.app.get<EventStore>(EVENT_STORE);
    stream = t.app.get(AnomalyStream);
    url = `${t.baseUrl}/v1/dashboard/anomalies/stream`;
    headers = new ApiClient(t.baseUrl, t.keys['board-1']).headersFor();
  });
  afterAll(async () => {
    for (const client of open) client.close();
    await t.close();
  });

  const connect = async (extra: Record<string, string> = {}) => {
    const client = await openEventStream(url, { ...headers, ...extra });
    expect(client.status).toBe(200);
    open.push(client);
    return client;
  };
  const detect = async (n: number) => {
    const data = anomaly(n);
    const { position } = await events.append(`actor-staff-${n}`, [
      { type: 'AnomalyDetected', data },
      { type: 'SomethingElse', data: {} },
    ]);
    return { data, position };
  };

  it('fans out every new anomaly to each client from one subscription, and resumes from Last-Event-ID with what was missed', async () => {
    const before = stream.stats().subscriptionsOpened;
    const clients = [await connect(), await connect(), await connect()];
    await until('three clients to follow', () => stream.stats().readers === 3);

    const first = await detect(1);
    const second = await detect(2);
    await until('each client to hear of both anomalies', () =>
      clients.every((c) => c.events.length >= 2),
    );
    for (const client of clients) {
      expect(client.events).toEqual([
        { event: 'anomaly', id: expect.any(String), data: first.data },
        { event: 'anomaly', id: expect.any(String), data: second.data },
      ]);
    }
    expect(stream.stats()).toEqual({
      readers: 3,
      subscriptionsOpened: before + 1,
      open: true,
    });

    // A client that saw only the first comes back with its id: it gets the second, then live.
    const resumed = await connect({ 'last-event-id': clients[0].events[0].id! });
    const third = await detect(3);
    await until('the resumed client to get the second and third', () => resumed.events.length >= 2);
    expect(resumed.events.map((e) => e.data)).toEqual([second.data, third.data]);
    await until('the others to get the third', () => clients.every((c) => c.events.length >= 3));
    expect(stream.stats()).toMatchObject({ readers: 4, subscriptionsOpened: before + 1 });

    // The subscription closes with the last client.
    for (const client of open.splice(0)) client.close();
    await until('the shared subscription to close', () => !stream.stats().open);
    expect(stream.stats().readers).toBe(0);
  });
});
