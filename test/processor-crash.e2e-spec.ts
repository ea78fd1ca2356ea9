import { deterministicEventId, SqliteEventStore } from '@custodian/event-store';
import { DEAD_LETTERS, ProjectionRunner } from '@custodian/projections';
import { SqliteReadStore } from '@custodian/read-store';
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jobsProcessor, jobTallyProjection, SHARDS } from './crash/jobs.processor';

/** Starts the child from its TypeScript source, transpiled once and cached (test/support). */
const REGISTER_TS = join(__dirname, 'support', 'register-ts.cjs');
const CYCLES = 10;
const SEEDED_JOBS = 300;

interface Life {
  /** Job ids whose effect the child saw acknowledged. */
  effects: string[];
  /** It killed itself in the middle of a batch. */
  selfKilled: boolean;
  /** The last thing it reported was inside a batch (begun, not ended). */
  diedInBatch: boolean;
}

/**
 * Starts the child; with `killAfter` > 0 it kills itself with SIGKILL mid-batch after that many
 * effects, otherwise the parent kills it with SIGKILL at a random moment once it runs.
 */
function runAndKill(dataDir: string, killAfter: number): Promise<Life> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '-r',
        REGISTER_TS,
        join(__dirname, 'crash/processor-crash-child.ts'),
        dataDir,
        String(killAfter),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const life: Life = { effects: [], selfKilled: false, diedInBatch: false };
    let buffered = '';
    let stderr = '';
    let killTimer: NodeJS.Timeout | undefined;
    // Bounded: a child that neither kills itself nor gets killed is killed here.
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        const [tag, id] = line.split(' ');
        if (tag === 'READY' && killAfter === 0 && !killTimer)
          killTimer = setTimeout(() => child.kill('SIGKILL'), 50 + Math.random() * 400);
        else if (tag === 'BEGIN') life.diedInBatch = true;
        else if (tag === 'END') life.diedInBatch = false;
        else if (tag === 'EFFECT') life.effects.push(id);
        else if (tag === 'KILL-SELF') life.selfKilled = true;
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code, signal) => {
      clearTimeout(guard);
      clearTimeout(killTimer);
      if (signal === 'SIGKILL') resolve(life);
      else reject(new Error(`child exited with ${code}: ${stderr}`));
    });
  });
}

/**
 * A processor killed with SIGKILL again and again, in the middle of its batches: when it is
 * started again, every job it had to handle has had its effect exactly once. Effects are
 * handed over at least once (those of a batch whose checkpoint was not stored come again),
 * and a deterministic event id makes the second time append nothing.
 */
describe('crash safety: a processor killed mid-batch (SIGKILL) loses no effect and doubles none', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'custodian-processor-crash-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('every job in the log gets exactly one JobDone, with its deterministic id, after repeated kills', async () => {
    // Jobs waiting before a start: the processor catches up on them in full batches, then goes
    // live. A child that kills itself after at most 27 effects always has one to die in.
    const seed = async (count: number) => {
      const seeding = new SqliteEventStore({ file: join(dataDir, 'events.sqlite') });
      for (let n = 0; n < count; n += 20)
        await seeding.append(
          `jobs-${(n / 20) % SHARDS}`,
          Array.from({ length: 20 }, (_, i) => ({
            type: 'JobRequested',
            data: { shard: (n / 20) % SHARDS, n: n + i },
          })),
        );
      await seeding.close();
    };
    await seed(SEEDED_JOBS);

    const lives: Life[] = [];
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      // Even cycles die by their own hand mid-batch; odd ones whenever the parent strikes.
      const killAfter = cycle % 2 === 0 ? 3 + Math.floor(Math.random() * 25) : 0;
      if (killAfter > 0) await seed(60);
      lives.push(await runAndKill(dataDir, killAfter));
    }
    const selfKills = lives.filter((l) => l.selfKilled).length;
    expect(selfKills).toBe(CYCLES / 2);

    // Started once more, in this process, until it has handled every job in the log.
    const events = new SqliteEventStore({ file: join(dataDir, 'events.sqlite') });
    const reads = new SqliteReadStore({ file: join(dataDir, 'read.sqlite') });
    const finalEffects: string[] = [];
    const runner = new ProjectionRunner(events, reads, [jobTallyProjection()], { batchSize: 20 });
    let checkpoint: string | undefined;
    try {
      const processor = await runner.addProcessor(
        jobsProcessor(events, { effect: (job) => finalEffects.push(job.id) }),
      );
      checkpoint = processor.checkpoint;
      await runner.start();
      // Its own appends move the head: done when it has passed a head that no longer moves.
      const deadline = Date.now() + 90_000;
      for (;;) {
        const head = (await events.readLastEvent())!.position;
        const at = processor.status().position;
        if (at !== null && events.comparePositions(at, head) >= 0) break;
        if (Date.now() > deadline)
          throw new Error(`the restarted processor did not reach the head (${head}) in 90 s`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(processor.status()).toMatchObject({ deadLetters: 0 });
    } finally {
      await runner.stop();
    }

    const log = await events.readAll();
    const jobs = log.filter((e) => e.type === 'JobRequested').map((e) => e.id);
    const done = log.filter((e) => e.type === 'JobDone');
    const doneFor = new Map<string, number>();
    for (const e of done)
      doneFor.set(e.data.jobId as string, (doneFor.get(e.data.jobId as string) ?? 0) + 1);
    const lost = jobs.filter((id) => !doneFor.has(id));
    const duplicates = [...doneFor.values()].filter((n) => n > 1).length;
    const unexpected = [...doneFor.keys()].filter((id) => !jobs.includes(id));
    expect(lost).toEqual([]);
    expect(duplicates).toBe(0);
    expect(unexpected).toEqual([]);
    expect(done).toHaveLength(jobs.length);
    for (const e of done) expect(e.id).toBe(deterministicEventId(e.data.jobId as string, 0));

    // At least once: every kill mid-batch left effects whose checkpoint was never stored, and
    // they were handed over again (and appended nothing the second time).
    const handed = [...lives.flatMap((l) => l.effects), ...finalEffects];
    const redelivered = handed.length - new Set(handed).size;
    expect(new Set(handed)).toEqual(new Set(jobs));
    expect(redelivered).toBeGreaterThanOrEqual(selfKills);

    // The files are whole, the checkpoint is past every job, and nothing was parked.
    const lastJob = log.filter((e) => e.type === 'JobRequested').at(-1)!.position;
    const stored = await reads.getCheckpoint(checkpoint!);
    expect(events.comparePositions(stored!.position, lastJob)).toBeGreaterThanOrEqual(0);
    expect(await reads.count(DEAD_LETTERS)).toBe(0);
    await events.close();
    await reads.close();
    for (const file of ['events.sqlite', 'read.sqlite']) {
      const raw = new Database(join(dataDir, file), { readonly: true });
      expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
      raw.close();
    }

    const inBatch = lives.filter((l) => l.diedInBatch).length;
    const inChildren = lives.reduce((sum, l) => sum + l.effects.length, 0);
    console.log(
      `processor crash test: ${CYCLES} SIGKILLs (${selfKills} mid-batch by the child itself, ` +
        `${CYCLES - selfKills} at random by the parent; ${inBatch} of all inside a batch), ` +
        `${jobs.length} jobs, ${handed.length} effects handed over (${inChildren} in the killed ` +
        `children; ${redelivered} again after ` +
        `a kill), ${done.length} JobDone events, duplicates ${duplicates}, lost ${lost.length}`,
    );
  }, 300_000);
});
