import { checkpointSigner } from '@custodian/crypto';
import { LOG_CHECKPOINT_STREAM } from '@custodian/domain';
import { SqliteEventStore } from '@custodian/event-store';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointSealer } from './checkpoint-sealer';
import type { CheckpointData } from './log-hash';
import { verifyLogIntegrity } from './verify-log';

/**
 * Two processes sealing the same log file at once (two connections, two sealers): the exact
 * expected revision lets one checkpoint through per sequence, the other sealer moves on, and
 * the log verifies. Their ranges differ (different `every`), so only the revision check, not
 * the deterministic event id, keeps them apart.
 */
describe('CheckpointSealer (SQLite files)', () => {
  let dir: string;
  const stores: SqliteEventStore[] = [];
  const open = () => {
    const store = new SqliteEventStore({ file: join(dir, 'events.sqlite') });
    stores.push(store);
    return store;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'custodian-seal-'));
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  const fill = async (store: SqliteEventStore, n: number) => {
    for (let i = 0; i < n; i++)
      await store.append(`access-${randomUUID()}`, [
        { type: 'AccessDenied', data: { n: i, at: new Date().toISOString() } },
      ]);
  };

  it('two sealers racing: one checkpoint per sequence, chained, and the log verifies', async () => {
    const signer = checkpointSigner(randomBytes(32));
    const [a, b] = [open(), open()];
    const now = () => new Date();
    for (let round = 0; round < 5; round++) {
      await fill(a, 23);
      await Promise.all([
        new CheckpointSealer(a, signer).seal({ every: 10, now }),
        new CheckpointSealer(b, signer).seal({ every: 7, now }),
        new CheckpointSealer(b, signer).seal({ every: 4, tail: true, now }),
      ]);
    }
    const checkpoints = await a.readStream(LOG_CHECKPOINT_STREAM);
    expect(checkpoints.length).toBeGreaterThan(10);
    const data = checkpoints.map((e) => e.data as unknown as CheckpointData);
    expect(data.map((d) => d.sequence)).toEqual(data.map((_, i) => i));
    for (let i = 1; i < data.length; i++) {
      expect(data[i].previousChain).toBe(data[i - 1].chain);
      expect(data[i].fromPosition).toBe(data[i - 1].toPosition);
    }
    const report = await verifyLogIntegrity(b, { publicKey: signer.publicKey });
    expect(report).toMatchObject({ ok: true, checkpoints: checkpoints.length });
    expect(report.checkedEvents + report.unsealed.events).toBe(5 * 23 + checkpoints.length);
  });

  it('a checkpoint signed by another key is reported, not trusted', async () => {
    const store = open();
    await fill(store, 12);
    await new CheckpointSealer(store, checkpointSigner(randomBytes(32))).seal({
      every: 5,
      now: () => new Date(),
    });
    const report = await verifyLogIntegrity(store, {
      publicKey: checkpointSigner(randomBytes(32)).publicKey,
    });
    expect(report.ok).toBe(false);
    expect(report.firstProblem).toMatchObject({ kind: 'modified' });
    expect(report.firstProblem?.detail).toContain('another key');
  });
});
