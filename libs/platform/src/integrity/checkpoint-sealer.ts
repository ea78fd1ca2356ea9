import type { CheckpointSigner } from '@custodian/crypto';
import { LOG_CHECKPOINT_STREAM } from '@custodian/domain';
import {
  deterministicEventId,
  WrongExpectedRevisionError,
  type EventStore,
  type RecordedEvent,
} from '@custodian/event-store';
import {
  ChainHasher,
  encodeDigests,
  encodePositions,
  GENESIS_CHAIN,
  signedBytes,
  type CheckpointData,
} from './log-hash';
import { storedLogOf, type StoredLog } from './stored-log';

export interface SealOptions {
  /** Events per checkpoint: a range is sealed once this many lie after the last checkpoint. */
  every: number;
  /** Also seal a shorter tail (the timer): anything after the last checkpoint but itself. */
  tail?: boolean;
  now: () => Date;
  signal?: AbortSignal;
}

/** Gives up after this many lost races in a row (another process keeps sealing first). */
const MAX_CONFLICTS = 10;

/**
 * Appends signed checkpoints to `integrity-checkpoints`, each over the next `every` events
 * after the last one (and, with `tail`, over a shorter rest). Each append names the exact
 * revision it read as the stream's head, so of two processes sealing at once one wins and the
 * other sees a conflict, reads the new head and goes on from there: no lease is needed.
 * Returns how many checkpoints this call appended.
 */
export class CheckpointSealer {
  private readonly log: StoredLog;

  constructor(
    private readonly store: EventStore,
    private readonly signer: CheckpointSigner,
  ) {
    this.log = storedLogOf(store);
  }

  async seal(options: SealOptions): Promise<number> {
    let sealed = 0;
    let conflicts = 0;
    while (!options.signal?.aborted) {
      const outcome = await this.sealNext(options);
      if (outcome === 'nothing') break;
      if (outcome === 'conflict') {
        if (++conflicts >= MAX_CONFLICTS) break;
        continue;
      }
      sealed++;
      conflicts = 0;
    }
    return sealed;
  }

  private async sealNext(options: SealOptions): Promise<'sealed' | 'nothing' | 'conflict'> {
    const [head] = await this.store.readStream(LOG_CHECKPOINT_STREAM, {
      direction: 'backwards',
      maxCount: 1,
    });
    const previous = head ? (head.data as unknown as CheckpointData) : undefined;
    // Counting is cheap; reading and hashing a range only pays once there is one to seal.
    if (
      !options.tail &&
      (await this.store.countEventsAfter(previous?.toPosition, options.every)) < options.every
    )
      return 'nothing';
    const leaves = await this.log.leaves(previous?.toPosition, undefined, options.every);
    if (leaves.length === 0) return 'nothing';
    if (leaves.length < options.every) {
      // Sealing only the last checkpoint would append a checkpoint each time, for ever.
      if (!options.tail || (leaves.length === 1 && head && leaves[0].position === head.position))
        return 'nothing';
    }
    const previousChain = previous?.chain ?? GENESIS_CHAIN;
    const chain = new ChainHasher(previousChain);
    for (const { position, leaf } of leaves) chain.add(position, leaf);
    const unsigned: Omit<CheckpointData, 'signature'> = {
      sequence: head ? Number(head.revision) + 1 : 0,
      fromPosition: previous?.toPosition ?? null,
      toPosition: leaves[leaves.length - 1].position,
      events: leaves.length,
      encoding: this.log.encoding,
      previousChain,
      chain: chain.digest(),
      digests: encodeDigests(leaves.map((l) => l.leaf)),
      positions: encodePositions(leaves.map((l) => l.position)),
      sealedAt: options.now().toISOString(),
      algorithm: 'Ed25519',
      publicKey: this.signer.publicKey,
    };
    const data: CheckpointData = {
      ...unsigned,
      signature: this.signer.sign(signedBytes(unsigned)),
    };
    const id = deterministicEventId(`integrity-checkpoint:${data.sequence}:${data.chain}`, 0);
    try {
      await this.store.append(
        LOG_CHECKPOINT_STREAM,
        [
          {
            id,
            type: 'LogCheckpointSealed',
            data,
            metadata: {
              eventId: id,
              occurredAt: data.sealedAt,
              actor: { id: 'custodian', role: 'system' },
              schemaVersion: 1,
            },
          },
        ],
        { expectedRevision: head ? head.revision : 'no_stream' },
      );
    } catch (error) {
      if (error instanceof WrongExpectedRevisionError) return 'conflict';
      throw error;
    }
    return 'sealed';
  }
}

/** The checkpoints in order (the whole stream: one per `every` events, so a few thousand at most). */
export async function readCheckpoints(store: EventStore): Promise<RecordedEvent[]> {
  return store.readStream(LOG_CHECKPOINT_STREAM);
}
