/**
 * Appends under load until killed, printing one "ACK <stream> <revision> <eventId>" line per
 * acknowledged event (stdout is a pipe, written synchronously on Linux, so a line printed is a
 * line the parent receives even after SIGKILL). Runs the projections in-process meanwhile.
 * Usage: crash-child.ts <dataDir> <appenders>
 */
import { SqliteEventStore, WrongExpectedRevisionError } from '@custodian/event-store';
import { ProjectionRunner } from '@custodian/projections';
import { SqliteReadStore } from '@custodian/read-store';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { streamTallyProjection } from './crash.projection';

async function main(): Promise<void> {
  const [dataDir, appenders] = process.argv.slice(2);
  const events = new SqliteEventStore({ file: join(dataDir, 'events.sqlite') });
  const reads = new SqliteReadStore({ file: join(dataDir, 'read.sqlite') });
  const runner = new ProjectionRunner(events, reads, [streamTallyProjection() as never], {
    batchSize: 25,
  });
  await runner.start();
  process.stdout.write('READY\n');

  const appender = async (k: number) => {
    const stream = `tally-${k}`;
    for (;;) {
      const [last] = await events.readStream(stream, { direction: 'backwards', maxCount: 1 });
      const next = last ? Number(last.revision) + 1 : 0;
      // Alternate single events and small batches, as commands do.
      const size = next % 3 === 0 ? 3 : 1;
      const batch = Array.from({ length: size }, (_, i) => ({
        id: randomUUID(),
        type: 'Tallied',
        data: { k, revision: next + i, pad: 'x'.repeat(200) },
      }));
      try {
        await events.append(stream, batch, {
          expectedRevision: last ? last.revision : 'no_stream',
        });
      } catch (error) {
        if (error instanceof WrongExpectedRevisionError) continue;
        throw error;
      }
      process.stdout.write(batch.map((e, i) => `ACK ${stream} ${next + i} ${e.id}\n`).join(''));
    }
  };
  await Promise.all(Array.from({ length: Number(appenders) }, (_, k) => appender(k)));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
