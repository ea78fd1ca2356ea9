import type { ProcessorDefinition } from '@custodian/projections';
import type { CheckpointSealer } from './checkpoint-sealer';

/**
 * The checkpointer, a processor on the projection runner (so it works with any event-store
 * adapter, and runs wherever the projections run): every batch of the log it is handed, it
 * seals each full range of `every` events after the last checkpoint. It reads the ranges from
 * the store as stored, so what a batch holds (upcast, typed) does not matter, and it is
 * idempotent: a batch handed over again finds nothing new to seal.
 */
export function checkpointerProcessor(
  sealer: CheckpointSealer,
  every: number,
  now: () => Date,
): ProcessorDefinition {
  return {
    name: 'integrity-checkpointer',
    eventTypes: 'all',
    async handle(_events, ctx) {
      await sealer.seal({ every, now, signal: ctx.signal });
    },
  };
}
