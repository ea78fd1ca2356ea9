import type { JsonObject } from '@custodian/domain';
import { deterministicEventId, type EventStore, type RecordedEvent } from '@custodian/event-store';
import type { ProcessorDefinition, ProjectionDefinition } from '@custodian/projections';

export const SHARDS = 4;

/** Calls that let a test watch the processor work (and a child die at a chosen moment). */
export interface JobHooks {
  begin?(size: number): void;
  /** After the effect of `job`, the `index`-th of a batch of `size`, is acknowledged. */
  effect?(job: RecordedEvent, index: number, size: number): void;
  end?(): void;
}

/** Jobs requested per shard: the projection the processor waits for. */
export function jobTallyProjection(): ProjectionDefinition<JsonObject> {
  return {
    name: 'job_tally',
    version: 1,
    eventTypes: ['JobRequested'],
    documentIds: (event) => [String(event.data.shard)],
    apply: (doc, event) => ({ requested: ((doc?.requested as number) ?? 0) + 1, last: event.id }),
  };
}

/**
 * Per `JobRequested`, the effect: a `JobDone` event whose id derives from the job's id, so a
 * job handed over again (after a crash, before its batch's checkpoint was stored) appends
 * nothing new.
 */
export function jobsProcessor(events: EventStore, hooks: JobHooks = {}): ProcessorDefinition {
  return {
    name: 'job-runner',
    eventTypes: ['JobRequested'],
    waitFor: ['job_tally'],
    async handle(jobs, ctx) {
      hooks.begin?.(jobs.length);
      for (const [index, job] of jobs.entries()) {
        if (ctx.signal.aborted) return;
        await events.append(
          `done-${job.data.shard}`,
          [{ id: deterministicEventId(job.id, 0), type: 'JobDone', data: { jobId: job.id } }],
          { expectedRevision: 'any' },
        );
        hooks.effect?.(job, index, jobs.length);
      }
      hooks.end?.();
    },
  };
}
