import {
  subjectDecider,
  subjectStream,
  type ErasureChannel,
  type ErasureReason,
  type SubjectEvent,
  type SubjectState,
} from '@custodian/domain';
import { SubjectKeys } from '@custodian/crypto';
import { readTypedStream, type EventStore } from '@custodian/event-store';
import { Injectable, Logger } from '@nestjs/common';
import { CommandExecutor, type CommandMeta, type LoadedState } from '../commands/command-executor';
import { BlindIndex } from './blind-index';
import { LegalHolds } from './legal-holds';

/**
 * Crypto-shredding: keep what a legal hold must keep under its own key (`LegalHolds`), record
 * the erasure, then destroy the subject's data key and blind-index entries. The events stay (the audit trail survives) but nothing can decrypt them.
 * It reads two events whatever the customer's history (see `erasureState`), so erasing ten
 * events or a hundred thousand costs the same. Repeating an erasure decides nothing new and
 * completes the destruction if a first attempt stopped after the event was written.
 * Once `SubjectErased` is in the log the subject is erased (every command answers 410); if the
 * destruction fails here, the erasure reconciler (a processor on the log, and a pass at every
 * start) finishes it, so the request still succeeds.
 */
@Injectable()
export class ErasureService {
  private readonly logger = new Logger(ErasureService.name);

  constructor(
    private readonly commands: CommandExecutor,
    private readonly keys: SubjectKeys,
    private readonly blindIndex: BlindIndex,
    private readonly holds: LegalHolds,
  ) {}

  /** Returns true when this call erased the subject, false when it already was. */
  async erase(
    subjectId: string,
    request: { reason: ErasureReason; requestedVia: ErasureChannel },
    meta: CommandMeta,
  ): Promise<boolean> {
    // Fields a purpose must keep past the erasure move to the hold key first.
    await this.holds.placeBeforeErasure(subjectId, meta);
    const outcome = await this.commands.execute(
      subjectStream(subjectId),
      subjectDecider,
      { type: 'EraseSubject', subjectId, ...request },
      () => ({ now: meta.now }),
      meta,
      { load: erasureState },
    );
    try {
      await this.keys.destroy(subjectId, meta.now);
      await this.blindIndex.removeAll(subjectId);
    } catch (error) {
      this.logger.error(
        `erasure of subject ${subjectId} is recorded, but destroying its key failed (${(error as Error).name}); the erasure reconciler will retry`,
      );
    }
    return outcome.events.length > 0;
  }
}

/**
 * Erasure depends only on the key (named by the first event) and on not being erased yet
 * (the last event, since nothing follows an erasure): two reads, no fold of the rest. The
 * fields are left out, as they are not read.
 */
export async function erasureState(
  events: EventStore,
  stream: string,
): Promise<LoadedState<SubjectState | null>> {
  const [first] = await readTypedStream<SubjectEvent>(events, stream, { maxCount: 1 });
  if (!first) return { state: null, revision: null };
  const [last] = await readTypedStream<SubjectEvent>(events, stream, {
    direction: 'backwards',
    maxCount: 1,
  });
  const registered = subjectDecider.evolve(null, first);
  const state = registered && { ...registered, fields: {} };
  return {
    state: last.type === 'SubjectErased' ? subjectDecider.evolve(state, last) : state,
    revision: last.revision,
  };
}
