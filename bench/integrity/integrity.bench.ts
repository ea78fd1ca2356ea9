/**
 * Integrity verification against a raw sequential scan of the same SQLite log.
 *
 *   npm run bench:integrity                          # 1,000,000 events (the size)
 *   npm run bench:integrity -- --events=200000       # smaller
 *   npm run bench:integrity -- --runs=5 --every=1000 --dir=/dev/shm
 *
 * Builds a log of N events through the event store's append API in big batches (ciphertext-
 * like payloads as the vault writes them), sealed by the checkpointer every `--every` events as
 * it grows. Then, `--runs` times each, interleaved: the raw scan (better-sqlite3 `iterate` over
 * every row with JSON.parse of data and metadata: the least any reader of the file does), and
 * `verifyLogIntegrity` over the whole log (signatures, chain links, every event's stored bytes
 * rehashed). Prints the medians and the ratio (scan time / verification time), MET when >= 0.3.
 */
import { checkpointSigner } from '@custodian/crypto';
import { SqliteEventStore, type NewEvent } from '@custodian/event-store';
import { CheckpointSealer, verifyLogIntegrity } from '@custodian/platform';
import Database from 'better-sqlite3';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { readOptions } from '../support/options';
import { runBench } from '../support/report';

const REQUIRED_RATIO = 0.3;

async function main(): Promise<number> {
  const options = readOptions(process.argv.slice(2), ['events', 'runs', 'every', 'batch', 'dir']);
  const events = options.int('events', 1_000_000, 20_000, 1);
  const runs = options.int('runs', 3, 2, 1);
  const every = options.int('every', 1000, 1000, 1);
  const batch = options.int('batch', 2000, 2000, 1);
  const dir = mkdtempSync(join(options.raw('dir') ?? os.tmpdir(), 'custodian-integrity-bench-'));
  const file = join(dir, 'events.sqlite');
  console.log(
    `integrity bench: ${events.toLocaleString('en')} events, checkpoint every ${every}, ${runs} runs each, node ${process.version}, ${os.cpus().length} CPU(s) ${os.cpus()[0]?.model ?? ''}`,
  );
  try {
    const signer = checkpointSigner(randomBytes(32));
    const built = Date.now();
    const store = new SqliteEventStore({ file });
    const sealer = new CheckpointSealer(store, signer);
    let written = 0;
    let stream = 0;
    while (written < events) {
      const n = Math.min(batch, events - written);
      // 20 events per stream, as customers' access streams grow: many streams, big appends.
      const appends: Promise<unknown>[] = [];
      for (let i = 0; i < n; i += 20) {
        const count = Math.min(20, n - i);
        appends.push(store.append(`access-${randomUUID()}`, payloads(count, stream++)));
      }
      await Promise.all(appends);
      written += n;
      await sealer.seal({ every, now: () => new Date() });
    }
    await store.close();
    console.log(`built in ${((Date.now() - built) / 1000).toFixed(1)} s`);

    const scans: number[] = [];
    const verifies: number[] = [];
    let checked = 0;
    for (let run = 0; run < runs; run++) {
      scans.push(rawScan(file));
      const reader = new SqliteEventStore({ file });
      const start = process.hrtime.bigint();
      const report = await verifyLogIntegrity(reader, { publicKey: signer.publicKey });
      verifies.push(Number(process.hrtime.bigint() - start) / 1e6);
      await reader.close();
      if (!report.ok)
        throw new Error(`the log did not verify: ${JSON.stringify(report.firstProblem)}`);
      checked = report.checkedEvents;
      console.log(
        `run ${run + 1}: raw scan ${scans[run].toFixed(0)} ms, verification ${verifies[run].toFixed(0)} ms (${report.checkpoints} checkpoints, ${report.checkedEvents} events checked, ${report.unsealed.events} unsealed)`,
      );
    }
    const scan = median(scans);
    const verify = median(verifies);
    const ratio = scan / verify;
    console.log(`\nmedian raw scan:      ${scan.toFixed(0)} ms (${rate(events, scan)} events/s)`);
    console.log(
      `median verification:  ${verify.toFixed(0)} ms (${rate(checked, verify)} events/s)`,
    );
    console.log(
      `ratio (scan / verification): ${ratio.toFixed(2)}x — ${ratio >= REQUIRED_RATIO ? 'MET' : 'NOT MET'} (target >= ${REQUIRED_RATIO}x)`,
    );
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every row of the file in position order, data and metadata parsed: the baseline. */
function rawScan(file: string): number {
  const db = new Database(file, { readonly: true });
  const start = process.hrtime.bigint();
  let rows = 0;
  for (const row of db
    .prepare(
      'SELECT position, stream, revision, event_id, type, data, metadata, recorded_at FROM events ORDER BY position',
    )
    .iterate() as Iterable<{ data: string; metadata: string }>) {
    JSON.parse(row.data);
    JSON.parse(row.metadata);
    rows++;
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  db.close();
  if (rows === 0) throw new Error('empty log');
  return ms;
}

/** Reads as the vault records them: ids, roles, field names, a ciphertext-sized value. */
function payloads(count: number, seed: number): NewEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    type: 'FieldsAccessed',
    data: {
      subjectId: randomUUID(),
      actorId: `actor-${seed % 50}`,
      role: 'support',
      purposeId: 'crm-care',
      via: 'view',
      fields: [
        { name: 'email', mask: 'partial' },
        { name: 'phone', mask: 'hidden' },
      ],
      policyVersion: 3,
      requestId: randomUUID(),
      at: new Date(1_800_000_000_000 + seed * 1000 + i).toISOString(),
      note: randomBytes(96).toString('base64'),
    },
    metadata: {
      eventId: randomUUID(),
      occurredAt: new Date().toISOString(),
      actor: { id: `actor-${seed % 50}`, role: 'support' },
      correlationId: randomUUID(),
      causationId: randomUUID(),
      schemaVersion: 1,
    },
  }));
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const rate = (n: number, ms: number) => Math.round((n / ms) * 1000).toLocaleString('en');

runBench(
  'integrity',
  main,
  'npm run bench:integrity -- [--events=N] [--runs=N] [--every=N] [--batch=N] [--dir=DIR]',
);
