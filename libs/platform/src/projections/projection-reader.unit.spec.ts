import type { EventStore } from '@custodian/event-store';
import type { ProjectionRunner } from '@custodian/projections';
import type { ReadStore } from '@custodian/read-store';
import type { CustodianConfig } from '../config/custodian-config';
import { ProjectionReader } from './projection-reader';

/**
 * The API with CUSTODIAN_PROJECTOR=off (as under `npm start`, the projector in its own
 * process): waiting for a projection reads its stored checkpoint, and only as much as needed.
 */
describe('ProjectionReader across processes', () => {
  function setUp() {
    let checkpoint = 5;
    let head = 5;
    const counts = { catalog: 0, checkpoint: 0 };
    const reads = {
      get: async (collection: string, id: string) => {
        counts.catalog += 1;
        return collection === 'projections' && id === 'customer_views'
          ? { active: { collection: 'customer_views_v1' } }
          : null;
      },
      getCheckpoint: async (name: string) => {
        counts.checkpoint += 1;
        expect(name).toBe('projection:customer_views_v1');
        return { position: String(checkpoint) };
      },
    } as unknown as ReadStore;
    const events = {
      readLastEvent: async () => ({ position: String(head) }),
      comparePositions: (a: string, b: string) => Number(a) - Number(b),
    } as unknown as EventStore;
    const config = { projector: 'off' } as CustodianConfig;
    const reader = new ProjectionReader({} as ProjectionRunner, events, reads, config);
    return {
      reader,
      counts,
      advance: (to: number) => (checkpoint = to),
      write: (to: number) => (head = to),
    };
  }

  it('reads the checkpoint once, then answers a position already applied without a read', async () => {
    const { reader, counts } = setUp();
    await reader.catchUp('customer_views', { position: '4' });
    expect(counts.checkpoint).toBe(1);
    for (let i = 0; i < 50; i++) await reader.catchUp('customer_views', { position: '5' });
    expect(counts.checkpoint).toBe(1);
  });

  it('waits for a newer position, sharing one checkpoint read between concurrent waiters', async () => {
    const { reader, counts, advance, write } = setUp();
    await reader.catchUp('customer_views');
    write(9);
    const waiting = Array.from({ length: 20 }, () =>
      reader.catchUp('customer_views', { timeoutMs: 1000 }),
    );
    let settled = 0;
    for (const w of waiting) void w.then(() => (settled += 1));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(settled).toBe(0);
    const readsWhileWaiting = counts.checkpoint - 1;
    // Twenty requests waited ~30 ms: a handful of shared reads, not twenty per poll.
    expect(readsWhileWaiting).toBeGreaterThan(0);
    expect(readsWhileWaiting).toBeLessThan(20);
    advance(9);
    await Promise.all(waiting);
    expect(settled).toBe(20);
  });

  it('still says 503 when the projection stays behind past the timeout', async () => {
    const { reader, write } = setUp();
    write(7);
    await expect(reader.catchUp('customer_views', { timeoutMs: 20 })).rejects.toMatchObject({
      status: 503,
    });
  });
});
