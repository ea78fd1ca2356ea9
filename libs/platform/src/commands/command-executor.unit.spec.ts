import { DomainError, type Decider } from '@custodian/domain';
import { SqliteEventStore, type EventStore, type RecordedEvent } from '@custodian/event-store';
import { UnprocessableEntityException } from '@nestjs/common';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandExecutor, type CommandMeta, type LoadedState } from './command-executor';
import { WriteTracker } from './write-tracker';

type Add = { type: 'Add'; n: number };
type Added = { type: 'Added'; data: { n: number } };

/** A running total: adding 0 decides nothing. */
const total: Decider<Add, number, Added, void> = {
  initialState: () => 0,
  evolve: (sum, event) => sum + event.data.n,
  decide: (command) => (command.n === 0 ? [] : [{ type: 'Added', data: { n: command.n } }]),
};

const added = (n: number): Added => ({ type: 'Added', data: { n } });
const meta = (overrides: Partial<CommandMeta> = {}): CommandMeta => ({
  actor: { id: 'dpo-1', role: 'dpo' },
  requestId: 'request-1',
  causationId: 'command-1',
  now: new Date('2026-05-01T12:00:00.000Z'),
  ...overrides,
});

/** The store as the executor sees it, with every read and append it makes counted. */
function watched(store: EventStore, beforeAppend?: (stream: string) => Promise<void>) {
  const calls = {
    reads: [] as string[],
    appends: [] as Array<{ stream: string; expected: unknown }>,
  };
  const proxy = new Proxy(store, {
    get(target, key) {
      if (key === 'readStream')
        return (...args: Parameters<EventStore['readStream']>) => {
          calls.reads.push(args[0]);
          return target.readStream(...args);
        };
      if (key === 'append')
        return async (...args: Parameters<EventStore['append']>) => {
          calls.appends.push({ stream: args[0], expected: args[2]?.expectedRevision });
          await beforeAppend?.(args[0]);
          return target.append(...args);
        };
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { store: proxy, calls };
}

describe('CommandExecutor', () => {
  let dir: string;
  let store: SqliteEventStore;
  let writes: WriteTracker;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'custodian-executor-'));
    store = new SqliteEventStore({ file: join(dir, 'events.sqlite') });
    writes = new WriteTracker();
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const given = async (stream: string, events: Added[]) => {
    if (events.length > 0) await store.append(stream, events);
  };
  const stored = async (stream: string) =>
    (await store.readStream(stream)).map((e) => ({ type: e.type, data: e.data }));

  describe('execute: read, decide, append at the revision read', () => {
    it('given history, when a command decides, then its events follow at the next revision', async () => {
      await given('total-1', [added(2), added(3)]);
      const outcome = await new CommandExecutor(store, writes).execute(
        'total-1',
        total,
        { type: 'Add', n: 4 },
        () => undefined,
        meta(),
      );
      expect(outcome).toMatchObject({ state: 9, replayed: false, revision: 2n });
      expect(await stored('total-1')).toEqual([added(2), added(3), added(4)]);
      const [last] = await store.readStream('total-1', { direction: 'backwards', maxCount: 1 });
      expect(last.metadata).toMatchObject({
        eventId: last.id,
        actor: { id: 'dpo-1', role: 'dpo' },
        correlationId: 'request-1',
        causationId: 'command-1',
        occurredAt: '2026-05-01T12:00:00.000Z',
      });
      expect(writes.lastPosition('total')).toBe(last.position);
    });

    it('given a concurrent writer between read and append, then the command is decided again on the new state', async () => {
      let interfered = false;
      const { store: racing, calls } = watched(store, async (stream) => {
        if (interfered) return;
        interfered = true;
        await store.append(stream, [added(10)]);
      });
      const states: number[] = [];
      const outcome = await new CommandExecutor(racing, writes).execute(
        'total-1',
        total,
        { type: 'Add', n: 1 },
        (state) => void states.push(state),
        meta(),
      );
      expect(states).toEqual([0, 10]);
      expect(calls.appends.map((a) => a.expected)).toEqual(['no_stream', 0n]);
      expect(outcome).toMatchObject({ state: 11, revision: 1n });
      expect(await stored('total-1')).toEqual([added(10), added(1)]);
    });

    it('given a writer that always gets in first, then it gives up with a conflict after five attempts', async () => {
      const { store: racing, calls } = watched(store, (stream) =>
        store.append(stream, [added(10)]).then(() => undefined),
      );
      const refused = new CommandExecutor(racing, writes).execute(
        'total-1',
        total,
        { type: 'Add', n: 1 },
        () => undefined,
        meta(),
      );
      await expect(refused).rejects.toMatchObject({ kind: 'conflict' });
      expect(calls.appends).toHaveLength(5);
      expect(await stored('total-1')).toEqual(Array.from({ length: 5 }, () => added(10)));
    });

    it('given If-Match with a stale revision, then it is refused and nothing is written', async () => {
      await given('total-1', [added(2), added(3)]);
      const refused = new CommandExecutor(store, writes).execute(
        'total-1',
        total,
        { type: 'Add', n: 4 },
        () => undefined,
        meta({ expectedRevision: 0n }),
      );
      await expect(refused).rejects.toMatchObject({ kind: 'precondition', field: 'If-Match' });
      expect(await stored('total-1')).toEqual([added(2), added(3)]);
    });

    it('given an Idempotency-Key already used, then the original events return and another body is a 422', async () => {
      const executor = new CommandExecutor(store, writes);
      const keyed = meta({ idempotencyKey: 'k-1', requestHash: 'h4' });
      const first = await executor.execute(
        'total-1',
        total,
        { type: 'Add', n: 4 },
        () => undefined,
        keyed,
      );
      const again = await executor.execute(
        'total-1',
        total,
        { type: 'Add', n: 4 },
        () => undefined,
        { ...keyed, causationId: 'command-2' },
      );
      expect(again).toMatchObject({ replayed: true, events: [{ id: first.events[0].id }] });
      await expect(
        executor.execute('total-1', total, { type: 'Add', n: 5 }, () => undefined, {
          ...keyed,
          requestHash: 'h5',
        }),
      ).rejects.toBeInstanceOf(UnprocessableEntityException);
      expect(await stored('total-1')).toEqual([added(4)]);
    });
  });

  describe('execute with deterministic event ids (work that may run again)', () => {
    const ids = (i: number) => `5f6d7c1e-0000-4000-8000-00000000000${i}`;

    it('when it runs, then its events carry those ids; when it runs again, then nothing is decided or appended', async () => {
      await given('total-1', [added(1)]);
      const executor = new CommandExecutor(store, writes);
      let decided = 0;
      const run = () =>
        executor.execute('total-1', total, { type: 'Add', n: 4 }, () => void decided++, meta(), {
          eventIds: ids,
        });
      const first = await run();
      expect(first).toMatchObject({ replayed: false, events: [{ id: ids(0) }] });
      const again = await run();
      expect(again).toMatchObject({ replayed: true, state: 5, events: [{ id: ids(0) }] });
      expect(decided).toBe(1);
      expect(await stored('total-1')).toEqual([added(1), added(4)]);
    });
  });

  describe('execute with a state loader', () => {
    /** Reads only the newest event: its total is the state (as a snapshot would be). */
    const lastOnly = async (events: EventStore, stream: string): Promise<LoadedState<number>> => {
      const [last] = await events.readStream(stream, { direction: 'backwards', maxCount: 1 });
      return { state: last ? Number(last.data.n) : 0, revision: last ? last.revision : null };
    };

    it('given a long stream, when the loader reads one event, then the command is decided on it and appended at its revision', async () => {
      await given('total-1', [added(1), added(2), added(7)]);
      const { store: counted, calls } = watched(store);
      const outcome = await new CommandExecutor(counted, writes).execute(
        'total-1',
        total,
        { type: 'Add', n: 1 },
        () => undefined,
        meta(),
        { load: lastOnly },
      );
      expect(outcome).toMatchObject({ state: 8, revision: 3n });
      expect(calls.reads).toEqual(['total-1']);
      expect(calls.appends).toEqual([{ stream: 'total-1', expected: 2n }]);
    });

    it('given a concurrent writer, then the loader reads again and the command is decided again', async () => {
      await given('total-1', [added(1)]);
      let interfered = false;
      const { store: racing, calls } = watched(store, async (stream) => {
        if (interfered) return;
        interfered = true;
        await store.append(stream, [added(5)]);
      });
      const outcome = await new CommandExecutor(racing, writes).execute(
        'total-1',
        total,
        { type: 'Add', n: 2 },
        () => undefined,
        meta(),
        { load: lastOnly },
      );
      expect(calls.reads).toEqual(['total-1', 'total-1']);
      expect(outcome).toMatchObject({ state: 7, revision: 2n });
    });

    it('refuses an Idempotency-Key when the loader does not read the whole stream', async () => {
      await expect(
        new CommandExecutor(store, writes).execute(
          'total-1',
          total,
          { type: 'Add', n: 1 },
          () => undefined,
          meta({ idempotencyKey: 'k' }),
          { load: lastOnly },
        ),
      ).rejects.toThrow(/only in a full read/);
      expect(await stored('total-1')).toEqual([]);
    });
  });

  describe('record: append-only audit records', () => {
    it('given a long audit stream, when a record is added, then nothing is read and it is appended at any revision', async () => {
      await given('audit-1', [added(1), added(2)]);
      const { store: counted, calls } = watched(store);
      const result = await new CommandExecutor(counted, writes).record(
        'audit-1',
        [added(3)],
        meta(),
      );
      expect(calls.reads).toEqual([]);
      expect(calls.appends).toEqual([{ stream: 'audit-1', expected: 'any' }]);
      expect(result.nextExpectedRevision).toBe(2n);
      expect(writes.lastPosition('audit')).toBe(result.position);
      const [last] = await store.readStream('audit-1', { direction: 'backwards', maxCount: 1 });
      expect(last.metadata).toMatchObject({ correlationId: 'request-1', causationId: 'command-1' });
    });

    it('when the same command records again, then nothing new is written; another command writes its own', async () => {
      const executor = new CommandExecutor(store, writes);
      await executor.record('audit-1', [added(1)], meta());
      await executor.record('audit-1', [added(1)], meta());
      await executor.record('audit-2', [added(1)], meta());
      await executor.record('audit-1', [added(1)], meta({ causationId: 'command-2' }));
      expect(await stored('audit-1')).toEqual([added(1), added(1)]);
      expect(await stored('audit-2')).toEqual([added(1)]);
    });

    it('when given a key, then the ids derive from it whatever the command', async () => {
      const executor = new CommandExecutor(store, writes);
      await executor.record('audit-1', [added(1)], meta(), { key: 'export|e1|s1' });
      await executor.record('audit-1', [added(1)], meta({ causationId: 'command-2' }), {
        key: 'export|e1|s1',
      });
      const events: RecordedEvent[] = await store.readStream('audit-1');
      expect(events).toHaveLength(1);
    });

    it('when the store refuses, then the error reaches the caller and nothing is tracked', async () => {
      await store.close();
      await expect(
        new CommandExecutor(store, writes).record('audit-1', [added(1)], meta()),
      ).rejects.toBeInstanceOf(Error);
      expect(writes.lastPosition('audit')).toBeUndefined();
      store = new SqliteEventStore({ file: join(dir, 'events.sqlite') });
    });
  });

  it('a refusal by the decider is not retried', async () => {
    let decided = 0;
    const refusing: Decider<Add, number, Added, void> = {
      ...total,
      decide: () => {
        decided++;
        throw new DomainError('invalid', 'n', 'no');
      },
    };
    await expect(
      new CommandExecutor(store, writes).execute(
        'total-1',
        refusing,
        { type: 'Add', n: 1 },
        () => undefined,
        meta(),
      ),
    ).rejects.toMatchObject({ kind: 'invalid' });
    expect(decided).toBe(1);
  });
});
