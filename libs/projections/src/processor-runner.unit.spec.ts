import type { JsonObject } from '@custodian/domain';
import { SqliteEventStore, type RecordedEvent } from '@custodian/event-store';
import { SqliteReadStore } from '@custodian/read-store';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEAD_LETTERS, parkedEvents } from './dead-letters';
import type { ProcessorContext, ProcessorDefinition } from './processor.definition';
import type { ProjectionDefinition } from './projection.definition';
import { ProjectionRunner, type ProcessorHandle } from './projection-runner';

interface Tally extends JsonObject {
  ids: string[];
}

/** Per stream, the ids of the `Counted` events applied. */
const tally = (name = 'tally'): ProjectionDefinition<Tally> => ({
  name,
  version: 1,
  eventTypes: ['Counted'],
  documentIds: (event) => [event.stream],
  apply: (doc, event) => ({ ids: [...(doc?.ids ?? []), event.id] }),
});

/** A processor that records what it was handed; `effect` may fail or wait. */
const recorder = (
  handled: string[],
  overrides: Partial<ProcessorDefinition> & {
    effect?: (event: RecordedEvent, ctx: ProcessorContext) => Promise<void> | void;
  } = {},
): ProcessorDefinition => ({
  name: 'recorder',
  eventTypes: ['Counted'],
  async handle(events, ctx) {
    for (const event of events) {
      await overrides.effect?.(event, ctx);
      if (ctx.signal.aborted) return;
      handled.push(event.id);
    }
  },
  ...overrides,
});

describe('ProjectionRunner: processors', () => {
  let dir: string;
  let events: SqliteEventStore;
  let reads: SqliteReadStore;
  let runner: ProjectionRunner | undefined;
  let logged: string[];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'custodian-proc-'));
    events = new SqliteEventStore({ file: join(dir, 'events.sqlite'), pollIntervalMs: 20 });
    reads = new SqliteReadStore({ file: join(dir, 'read.sqlite') });
    logged = [];
  });
  afterEach(async () => {
    await runner?.stop();
    runner = undefined;
    await events.close();
    await reads.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const append = async (stream: string, count: number, type = 'Counted') =>
    events.append(
      stream,
      Array.from({ length: count }, (_, n) => ({ type, data: { n } })),
    );
  const head = async () => (await events.readLastEvent())!.position;
  const idsOf = async (type = 'Counted') =>
    (await events.readAll()).filter((e) => e.type === type).map((e) => e.id);
  const start = async (
    processor: ProcessorDefinition,
    options: { projections?: ProjectionDefinition<Tally>[]; checkpoint?: string } = {},
  ): Promise<{ runner: ProjectionRunner; handle: ProcessorHandle }> => {
    runner = new ProjectionRunner(events, reads, (options.projections ?? [tally()]) as never, {
      batchSize: 10,
      retryDelayMs: 10,
      maxRetryDelayMs: 40,
      logger: { log: (m) => logged.push(m), error: (m) => logged.push(m) },
    });
    const handle = await runner.addProcessor(processor, { checkpoint: options.checkpoint });
    await runner.start();
    return { runner, handle };
  };
  /** Waits until the processor has passed `position` (in memory). */
  const reach = (handle: ProcessorHandle, position: string, what = 'the head') =>
    waitUntil(() => {
      const at = handle.status().position;
      return at !== null && events.comparePositions(at, position) >= 0;
    }, `processor ${handle.checkpoint} to reach ${what} (${position})`);

  it('hands over every event of its types once, in log order, catching up then live, and stores its checkpoint', async () => {
    await append('s-1', 25);
    await append('other-1', 3, 'Ignored');
    const handled: string[] = [];
    const { handle } = await start(recorder(handled));
    await reach(handle, await head());
    await append('s-2', 4);
    const last = await head();
    await reach(handle, last);
    expect(handled).toEqual(await idsOf());
    await waitUntil(() => handle.status().state === 'live', 'the processor to be live');
    expect(handle.status()).toMatchObject({
      name: 'recorder',
      checkpoint: 'reactor:recorder',
      position: last,
      sequence: 32,
      retries: 0,
      deadLetters: 0,
    });
    await runner!.stop();
    expect(await reads.getCheckpoint('reactor:recorder')).toEqual({
      position: last,
      sequence: 32,
    });
  });

  it('resumes from its stored checkpoint after a restart: nothing handed over twice, nothing skipped', async () => {
    await append('s-1', 12);
    const handled: string[] = [];
    let { handle } = await start(recorder(handled));
    await reach(handle, await head());
    await runner!.stop();
    await append('s-1', 7);
    const lag = await runner!.processorLag();
    expect(lag).toEqual([
      {
        name: 'recorder',
        checkpoint: 'reactor:recorder',
        eventsBehind: 7,
        secondsBehind: expect.any(Number),
        deadLetters: 0,
      },
    ]);

    ({ handle } = await start(recorder(handled)));
    await reach(handle, await head());
    expect(handled).toEqual(await idsOf());
    expect(new Set(handled).size).toBe(19);
  });

  it('retries a failing effect with a delay that doubles up to its cap, logging each failure, then goes on', async () => {
    await append('s-1', 3);
    const [, second] = await idsOf();
    let failures = 5;
    const handled: string[] = [];
    const { handle } = await start(
      recorder(handled, {
        effect: (event) => {
          if (event.id === second && failures-- > 0) throw new Error('mail server down');
        },
      }),
    );
    await reach(handle, await head());
    // Every event handed over in the end; the first one may have been handed over again when
    // the batch was split after the failure (at least once), the failing one never skipped.
    expect([...new Set(handled)]).toEqual(await idsOf());
    // The batch failed once together, then the event alone: 10, 20, 40, 40 ms (capped).
    expect(logged.filter((m) => m.includes('a batch of 3 events failed'))).toEqual([
      expect.stringContaining('retrying them one by one in 10 ms: mail server down'),
    ]);
    const retrying = logged.filter((m) => / failed \d+ of \d+ times/.test(m));
    expect(retrying.map((m) => m.match(/retrying in (\d+) ms/)![1])).toEqual([
      '10',
      '20',
      '40',
      '40',
    ]);
    expect(retrying[0]).toMatch(/processor recorder: event \S+ \(Counted\) failed 1 of 10 times/);
    expect(retrying[0]).toContain('mail server down');
    expect(handle.status()).toMatchObject({ retries: 5, deadLetters: 0 });
    expect(handle.status().error).toBeUndefined();
  });

  it('parks an event that keeps failing as a dead letter, goes on with the others, and retries it at the next start', async () => {
    await append('s-1', 4);
    const ids = await idsOf();
    let broken = true;
    const handled: string[] = [];
    const poisoned = () =>
      recorder(handled, {
        maxAttempts: 3,
        effect: (event) => {
          if (event.id === ids[2] && broken) throw new Error('bad payload');
        },
      });
    let { handle } = await start(poisoned());
    await reach(handle, await head());
    expect(new Set(handled)).toEqual(new Set([ids[0], ids[1], ids[3]]));
    expect(handle.status()).toMatchObject({ deadLetters: 1, retries: 4 });
    const [letter] = await parkedEvents(reads, 'reactor:recorder');
    expect(letter).toMatchObject({
      checkpoint: 'reactor:recorder',
      processor: 'recorder',
      eventId: ids[2],
      stream: 's-1',
      revision: '2',
      type: 'Counted',
      attempts: 3,
      error: 'bad payload',
    });
    expect(logged.some((m) => m.includes(`id ${ids[2]}) failed 3 times and is parked`))).toBe(true);
    expect((await runner!.processorLag())[0]).toMatchObject({ eventsBehind: 0, deadLetters: 1 });

    // Still failing at the next start: it stays parked, with one attempt more.
    await runner!.stop();
    ({ handle } = await start(poisoned()));
    await waitUntil(
      () => logged.some((m) => m.includes('failed again (4 attempts), left parked')),
      'the parked event to be tried again',
    );
    expect((await parkedEvents(reads, 'reactor:recorder'))[0]).toMatchObject({ attempts: 4 });
    expect(handle.status().deadLetters).toBe(1);

    // Fixed: the next start handles it and removes the dead letter.
    await runner!.stop();
    broken = false;
    ({ handle } = await start(poisoned()));
    expect(handle.status().deadLetters).toBe(1);
    await waitUntil(() => handle.status().deadLetters === 0, 'the parked event to be handled');
    expect(handled.filter((id) => id === ids[2])).toEqual([ids[2]]);
    expect(await reads.count(DEAD_LETTERS)).toBe(0);
  });

  it('is handed an event only once the projections it waits for have applied it', async () => {
    const seen: Array<{ id: string; applied: boolean }> = [];
    let projectionFailures = 3;
    const slowTally: ProjectionDefinition<Tally> = {
      ...tally(),
      apply: (doc, event, id) => {
        // The projection fails a few times (and retries alone) while the processor would go on.
        if (projectionFailures-- > 0) throw new Error('projection hiccup');
        return tally().apply(doc, event, id);
      },
    };
    const checker: ProcessorDefinition = {
      name: 'checker',
      eventTypes: ['Counted'],
      waitFor: ['tally'],
      async handle(batch, ctx) {
        for (const event of batch) {
          const doc = (await reads.get(ctx.collectionFor('tally'), event.stream)) as Tally | null;
          seen.push({ id: event.id, applied: doc?.ids.includes(event.id) ?? false });
        }
      },
    };
    await append('s-1', 5);
    const { runner: r, handle } = await start(checker, { projections: [slowTally] });
    await reach(handle, await head());
    // Live: the projection fails again in the shared feed and retries alone.
    projectionFailures = 2;
    await append('s-2', 5);
    await reach(handle, await head());
    expect(seen.map((s) => s.id)).toEqual(await idsOf());
    expect(seen.every((s) => s.applied)).toBe(true);
    expect(r.status()[0].error).toBeUndefined();
  });

  it('stopped during a batch: the effect in flight is abandoned, the checkpoint does not move, and the batch comes again', async () => {
    await append('s-1', 3);
    let entered: () => void = () => {};
    const inEffect = new Promise<void>((resolve) => (entered = resolve));
    const handled: string[] = [];
    const first: string[] = [];
    const { runner: r } = await start(
      recorder(handled, {
        effect: async (event, ctx) => {
          first.push(event.id);
          entered();
          // A slow effect that gives up when the processor stops.
          await new Promise<void>((resolve) =>
            ctx.signal.addEventListener('abort', () => resolve()),
          );
        },
      }),
    );
    await withTimeout(inEffect, 'the effect to begin');
    await withTimeout(r.stop(), 'the runner to stop while an effect is in flight');
    expect(handled).toEqual([]);
    expect(await reads.getCheckpoint('reactor:recorder')).toBeNull();

    const { handle } = await start(recorder(handled));
    await reach(handle, await head());
    expect(first).toEqual([(await idsOf())[0]]);
    expect(handled).toEqual(await idsOf());
  });

  it('stopped during a batch from the shared feed: the effect is told to stop and the stop does not wait on it', async () => {
    const handled: string[] = [];
    let entered: () => void = () => {};
    const inEffect = new Promise<void>((resolve) => (entered = resolve));
    let live = false;
    const { runner: r, handle } = await start(
      recorder(handled, {
        effect: async (_event, ctx) => {
          if (!live) return;
          entered();
          await new Promise<void>((resolve) =>
            ctx.signal.addEventListener('abort', () => resolve()),
          );
        },
      }),
    );
    await waitUntil(
      () => handle.status().state === 'live' && r.status()[0].state === 'live',
      'the processor and the projection to be live',
    );
    live = true;
    const { position } = await append('s-1', 2);
    await withTimeout(inEffect, 'the live effect to begin');
    await withTimeout(r.stop(), 'the runner to stop while a live effect is in flight');
    expect(handled).toEqual([]);
    const stored = await reads.getCheckpoint('reactor:recorder');
    expect(stored === null || events.comparePositions(stored.position, position) < 0).toBe(true);
  });

  it('joins the projections on one shared subscription once caught up', async () => {
    let open = 0;
    const subscribe = events.subscribeAll.bind(events);
    events.subscribeAll = async function* (options) {
      open++;
      try {
        yield* subscribe(options);
      } finally {
        open--;
      }
    };
    await append('s-1', 3);
    const handled: string[] = [];
    const { runner: r, handle } = await start(recorder(handled, { waitFor: ['tally'] }));
    await waitUntil(
      () => handle.status().state === 'live' && r.status()[0].state === 'live' && open === 1,
      'the projection and the processor to share one subscription',
    );
    await append('s-1', 20);
    await reach(handle, await head());
    expect(open).toBe(1);
    expect(handled).toEqual(await idsOf());
  });

  it('runs again over the whole log under another checkpoint, beside the first run', async () => {
    await append('s-1', 6);
    const first: string[] = [];
    const again: string[] = [];
    const { runner: r, handle } = await start(recorder(first));
    await reach(handle, await head());
    const second = await r.addProcessor(recorder(again), { checkpoint: 'reactor:recorder-replay' });
    await reach(second, await head());
    expect(again).toEqual(first);
    expect(r.processorStatus().map((s) => s.checkpoint)).toEqual([
      'reactor:recorder',
      'reactor:recorder-replay',
    ]);
    await second.stop();
    expect(r.processorStatus()).toHaveLength(1);
    // A new version is a new run under its own checkpoint.
    const v2 = await r.addProcessor(recorder([], { version: 2 }));
    expect(v2.checkpoint).toBe('reactor:recorder:v2');
  });

  it('refuses bad definitions, unknown projections and a checkpoint already in use', async () => {
    runner = new ProjectionRunner(events, reads, [tally()] as never);
    await expect(runner.addProcessor(recorder([], { name: 'Bad Name' }))).rejects.toThrow(/name/);
    await expect(runner.addProcessor(recorder([], { version: 0 }))).rejects.toThrow(/version/);
    await expect(runner.addProcessor(recorder([], { maxAttempts: 0 }))).rejects.toThrow(
      /maxAttempts/,
    );
    await expect(runner.addProcessor(recorder([], { waitFor: ['nothing'] }))).rejects.toThrow(
      /waits for "nothing"/,
    );
    await runner.addProcessor(recorder([]));
    await expect(runner.addProcessor(recorder([]))).rejects.toThrow(/already/);
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
