/**
 * Runs the job processor (and the projection it waits for) over the log while appending more
 * jobs, until killed. Prints "READY" once running, "BEGIN <size>" / "EFFECT <jobId>" / "END"
 * as it handles batches (stdout is a pipe, written synchronously on Linux, so a line printed
 * is a line the parent receives even after SIGKILL). With <killAfter> > 0 it sends itself
 * SIGKILL after that many effects, at the first one that is not the last of its batch: dead
 * in the middle of a batch whose checkpoint is not stored.
 * Usage: processor-crash-child.ts <dataDir> <killAfter>
 */
import { SqliteEventStore } from '@custodian/event-store';
import { ProjectionRunner } from '@custodian/projections';
import { SqliteReadStore } from '@custodian/read-store';
import { join } from 'node:path';
import { jobsProcessor, jobTallyProjection, SHARDS } from './jobs.processor';

const write = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  const [dataDir, killAfter] = process.argv.slice(2);
  const killAt = Number(killAfter);
  const events = new SqliteEventStore({ file: join(dataDir, 'events.sqlite') });
  const reads = new SqliteReadStore({ file: join(dataDir, 'read.sqlite') });
  const runner = new ProjectionRunner(events, reads, [jobTallyProjection()], { batchSize: 20 });
  let effects = 0;
  await runner.addProcessor(
    jobsProcessor(events, {
      begin: (size) => write(`BEGIN ${size}`),
      effect: (job, index, size) => {
        write(`EFFECT ${job.id}`);
        effects++;
        if (killAt > 0 && effects >= killAt && index < size - 1) {
          write('KILL-SELF');
          // Delivered before kill(2) returns: nothing after this line runs.
          process.kill(process.pid, 'SIGKILL');
        }
      },
      end: () => write('END'),
    }),
  );
  await runner.start();
  write('READY');
  // Jobs keep arriving while it runs: some reach it through the shared feed, live.
  for (let n = 0; ; n++) {
    await events.append(`jobs-${n % SHARDS}`, [
      { type: 'JobRequested', data: { shard: n % SHARDS, n } },
    ]);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
