import { SqliteEventStore, type RecordedEvent } from '@custodian/event-store';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogFanOut } from './log-fan-out';

/** A reader following in the background, collecting what it is given. */
function reader(fanOut: LogFanOut, after?: string) {
  const controller = new AbortController();
  const got: RecordedEvent[] = [];
  const done = (async () => {
    for await (const event of fanOut.follow(after, controller.signal)) got.push(event);
  })();
  return {
    got,
    ids: () => got.map((e) => e.id),
    done,
    close: async () => {
      controller.abort();
      await done;
    },
  };
}

describe('LogFanOut', () => {
  let dir: string;
  let events: SqliteEventStore;
  let open: number;
  let opened: number;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'custodian-fanout-'));
    events = new SqliteEventStore({ file: join(dir, 'events.sqlite'), pollIntervalMs: 20 });
    // The store's subscriptions, counted as they open and close.
    open = 0;
    opened = 0;
    const subscribe = events.subscribeAll.bind(events);
    events.subscribeAll = async function* (options) {
      open++;
      opened++;
      try {
        yield* subscribe(options);
      } finally {
        open--;
      }
    };
  });
  afterEach(async () => {
    await events.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const append = (stream: string, types: string[]) =>
    events.append(
      stream,
      types.map((type, n) => ({ type, data: { n } })),
    );
  const idsOf = async (type: string, after?: string) =>
    (await events.readAll({ after })).filter((e) => e.type === type).map((e) => e.id);

  it('serves every reader from one subscription: each gets every event of its types once, in order', async () => {
    await append('a-1', ['Anomaly']);
    const head = (await events.readLastEvent())!.position;
    const fanOut = new LogFanOut(events, ['Anomaly']);
    const readers = [reader(fanOut), reader(fanOut), reader(fanOut)];
    await waitUntil(() => fanOut.stats().readers === 3, 'three readers to join');
    for (let i = 0; i < 10; i++) await append(`a-${i % 3}`, ['Anomaly', 'Other', 'Anomaly']);
    const expected = await idsOf('Anomaly', head);
    await waitUntil(
      () => readers.every((r) => r.got.length >= expected.length),
      `each reader to get ${expected.length} events`,
    );
    for (const r of readers) expect(r.ids()).toEqual(expected);
    expect(open).toBe(1);
    expect(fanOut.stats()).toEqual({ readers: 3, subscriptionsOpened: 1, open: true });
    await Promise.all(readers.map((r) => r.close()));
    // Closed after the last reader left; the next one opens another.
    await waitUntil(() => open === 0, 'the shared subscription to close');
    expect(fanOut.stats()).toMatchObject({ readers: 0, open: false });
    const next = reader(fanOut);
    await waitUntil(() => fanOut.stats().readers === 1, 'a new reader to join');
    expect(opened).toBe(2);
    await next.close();
  });

  it('gives a reader resuming from an older position what it missed, then live events: no gap, no duplicate', async () => {
    const fanOut = new LogFanOut(events, ['Anomaly'], 4);
    // A reader holds the shared subscription while the log grows far past the resumer.
    const live = reader(fanOut);
    await waitUntil(() => fanOut.stats().readers === 1, 'the first reader to join');
    for (let i = 0; i < 15; i++) await append(`a-${i}`, ['Anomaly', 'Other']);
    const anomalies = await idsOf('Anomaly');
    await waitUntil(() => live.got.length === 15, 'the first reader to get 15 events');
    const resumeAfter = live.got[4].position;

    const resumed = reader(fanOut, resumeAfter);
    // Live events while it catches up (pages of 4) join the end, each once.
    await append('a-late', ['Anomaly', 'Anomaly']);
    const expected = await idsOf('Anomaly', resumeAfter);
    expect(expected).toEqual([...anomalies.slice(5), ...(await idsOf('Anomaly')).slice(15)]);
    await waitUntil(() => resumed.got.length >= expected.length, `${expected.length} events`);
    await append('a-later', ['Anomaly']);
    const all = await idsOf('Anomaly', resumeAfter);
    await waitUntil(() => resumed.got.length >= all.length, `${all.length} events`);
    expect(resumed.ids()).toEqual(all);
    expect(opened).toBe(1);
    await resumed.close();
    await live.close();
  });

  it('without a position, starts at the head: nothing older is replayed', async () => {
    await append('a-1', ['Anomaly', 'Anomaly']);
    const fanOut = new LogFanOut(events, ['Anomaly']);
    const r = reader(fanOut);
    await waitUntil(() => fanOut.stats().readers === 1, 'the reader to join');
    const { position } = await append('a-2', ['Anomaly']);
    await waitUntil(() => r.got.length > 0, 'the new event');
    expect(r.got.map((e) => e.position)).toEqual([position]);
    await r.close();
  });

  it('ends every reader when stopped, and fails them all when the subscription fails', async () => {
    const fanOut = new LogFanOut(events, ['Anomaly']);
    const readers = [reader(fanOut), reader(fanOut)];
    await waitUntil(() => fanOut.stats().readers === 2, 'two readers to join');
    await fanOut.stop();
    await Promise.all(readers.map((r) => withTimeout(r.done, 'a reader to end on stop')));
    expect(open).toBe(0);

    // A store whose subscription breaks after a moment, as a lost connection does.
    const breaking = new Proxy(events, {
      get(target, key) {
        if (key === 'subscribeAll')
          // eslint-disable-next-line require-yield
          return async function* () {
            await new Promise((resolve) => setTimeout(resolve, 50));
            throw new Error('connection lost');
          };
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const broken = new LogFanOut(breaking, ['Anomaly']);
    const failing = [reader(broken), reader(broken)];
    for (const r of failing)
      await expect(withTimeout(r.done, 'a reader to fail')).rejects.toThrow('connection lost');
  });
});

async function waitUntil(condition: () => boolean, what: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function withTimeout<T>(promise: Promise<T>, what: string, timeoutMs = 15_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`waited ${timeoutMs} ms for ${what}`)),
          timeoutMs,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
