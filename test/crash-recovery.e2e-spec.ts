import { SqliteEventStore } from '@custodian/event-store';
import { ProjectionRunner } from '@custodian/projections';
import { SqliteReadStore } from '@custodian/read-store';
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { streamTallyProjection } from './crash/crash.projection';

/** Starts the child from its TypeScript source, transpiled once and cached (test/support). */
const REGISTER_TS = join(__dirname, 'support', 'register-ts.cjs');
const CYCLES = 12;
const APPENDERS = 6;

interface Ack {
  stream: string;
  revision: number;
  id: string;
}

/** Starts the child, lets it append for a random while, then kills it with SIGKILL. */
function runAndKill(dataDir: string, acks: Ack[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['-r', REGISTER_TS, join(__dirname, 'crash/crash-child.ts'), dataDir, String(APPENDERS)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let buffered = '';
    let stderr = '';
    let killTimer: NodeJS.Timeout | undefined;
    const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (line === 'READY' && !killTimer) {
          killTimer = setTimeout(() => child.kill('SIGKILL'), 50 + Math.random() * 400);
          continue;
        }
        const [tag, stream, revision, id] = line.split(' ');
        if (tag === 'ACK') acks.push({ stream, revision: Number(revision), id });
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code, signal) => {
      clearTimeout(guard);
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`child exited with ${code}: ${stderr}`));
    });
  });
}

/**
 * Process-crash durability: a child appending under load is killed with SIGKILL, and every
 * append it acknowledged must survive the process dying, whole, and the projection it kept must
 * resume equal to a rebuild. SIGKILL ends the process but not the operating system, whose page
 * cache still holds what was written and not yet synced, so this cannot show that an append
 * reached the disk. Surviving a power cut rests on WAL with synchronous=FULL fsyncing each commit
 * before the append is acknowledged; sqlite-event-store.unit.spec.ts checks the connection runs so,
 * and no test here cuts the power.
 */
describe('crash safety: SIGKILL under load (process crash, not power loss)', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'custodian-crash-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('keeps every acknowledged append through a process kill, leaves no half-written event, and a restarted projection equals a rebuild', async () => {
    const acks: Ack[] = [];
    for (let cycle = 0; cycle < CYCLES; cycle++) await runAndKill(dataDir, acks);
    expect(acks.length).toBeGreaterThan(CYCLES * 10);
    console.log(`crash test: ${CYCLES} SIGKILLs, ${acks.length} acknowledged events`);

    // The files are consistent after all those kills.
    const raw = new Database(join(dataDir, 'events.sqlite'), { readonly: true });
    expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
    const rows = raw
      .prepare(
        'SELECT position, stream, revision, event_id, type, data, metadata FROM events ORDER BY position',
      )
      .all() as Array<{
      position: number;
      stream: string;
      revision: number;
      event_id: string;
      data: string;
    }>;
    raw.close();

    // Every acknowledged append is there, at the revision it was acknowledged with.
    const byId = new Map(rows.map((row) => [row.event_id, row]));
    for (const ack of acks) {
      const row = byId.get(ack.id);
      expect(row).toBeDefined();
      expect({ stream: row!.stream, revision: row!.revision }).toEqual({
        stream: ack.stream,
        revision: ack.revision,
      });
    }

    // No half-written event: every row is whole, revisions are gap-free per stream, positions in order.
    const nextRevision = new Map<string, number>();
    rows.forEach((row, i) => {
      expect(row.position).toBe(i + 1);
      const data = JSON.parse(row.data) as { revision: number; pad: string };
      expect(data.revision).toBe(row.revision);
      expect(data.pad).toHaveLength(200);
      expect(row.revision).toBe(nextRevision.get(row.stream) ?? 0);
      nextRevision.set(row.stream, row.revision + 1);
    });

    // The projection the killed processes maintained, resumed, equals one rebuilt from scratch.
    const events = new SqliteEventStore({ file: join(dataDir, 'events.sqlite') });
    const reads = new SqliteReadStore({ file: join(dataDir, 'read.sqlite') });
    const fresh = new SqliteReadStore({ file: join(dataDir, 'rebuilt.sqlite') });
    const resumed = new ProjectionRunner(events, reads, [streamTallyProjection() as never]);
    const rebuilt = new ProjectionRunner(events, fresh, [streamTallyProjection() as never], {
      batchSize: 1000,
    });
    try {
      await resumed.start();
      await rebuilt.start();
      const head = (await events.readLastEvent())!.position;
      await resumed.waitFor(head, { timeoutMs: 20_000 });
      await rebuilt.waitFor(head, { timeoutMs: 20_000 });
      const resumedDocs = await reads.find(resumed.collectionFor('stream_tally'), { limit: 1000 });
      const rebuiltDocs = await fresh.find(rebuilt.collectionFor('stream_tally'), { limit: 1000 });
      expect(resumedDocs.items).toHaveLength(APPENDERS);
      expect(resumedDocs.items).toEqual(rebuiltDocs.items);
      const total = resumedDocs.items.reduce((sum, item) => sum + (item.doc.count as number), 0);
      expect(total).toBe(rows.length);
    } finally {
      await resumed.stop();
      await rebuilt.stop();
      await events.close();
      await reads.close();
      await fresh.close();
    }
  }, 180_000);
});
