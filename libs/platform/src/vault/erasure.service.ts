import {
  conflict,
  notFound,
  subjectDecider,
  subjectStream,
  type ErasureChannel,
  type ErasureReason,
  type SubjectRegistered,
} from '@custodian/domain';
import { SubjectKeys } from '@custodian/crypto';
import { EVENT_STORE, WrongExpectedRevisionError, type EventStore } from '@custodian/event-store';
import { Inject, Injectable } from '@nestjs/common';
import { toNewEvent, type CommandMeta } from '../commands/command-executor';
import { WriteTracker } from '../commands/write-tracker';
import { BlindIndex } from './blind-index';

const MAX_ATTEMPTS = 5;

/**
 * Crypto-shredding: record the erasure, then destroy the subject's data key and blind-index
 * entries. The events stay (the audit trail survives) but nothing can decrypt them.
 * It reads two events whatever the customer's history (the first names the key, the last
 * says whether they are already erased), so erasing ten events or a hundred thousand costs
 * the same. Repeating an erasure decides nothing new and completes the destruction if a
 * first attempt stopped after the event was written.
 */
@Injectable()
export class ErasureService {
  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    private readonly keys: SubjectKeys,
    private readonly blindIndex: BlindIndex,
    private readonly writes: WriteTracker,
  ) {}

  /** Returns true when this call erased the subject, false when it already was. */
  async erase(
    subjectId: string,
    request: { reason: ErasureReason; requestedVia: ErasureChannel },
    meta: CommandMeta,
  ): Promise<boolean> {
    const stream = subjectStream(subjectId);
    let erasedNow = false;
    for (let attempt = 1; ; attempt++) {
      const [first] = await this.events.readStream(stream, { maxCount: 1 });
      if (!first) throw notFound('subjectId', `subject ${subjectId} is not registered`);
      const [last] = await this.events.readStream(stream, { direction: 'backwards', maxCount: 1 });
      if (last.type === 'SubjectErased') break;
      const registered = (first as unknown as SubjectRegistered).data;
      // Erasure depends only on the key and on not being erased yet: no need to fold the rest.
      const state = { ...registered, fields: {}, erased: null };
      const decided = subjectDecider.decide(
        { type: 'EraseSubject', subjectId, ...request },
        state,
        { now: meta.now },
      );
      try {
        const result = await this.events.append(
          stream,
          decided.map((event) => toNewEvent(event, meta)),
          {
            expectedRevision: last.revision,
          },
        );
        this.writes.recordAppend(stream, result.position);
        erasedNow = true;
        break;
      } catch (error) {
        if (!(error instanceof WrongExpectedRevisionError)) throw error;
        if (attempt >= MAX_ATTEMPTS)
          throw conflict(null, 'too many concurrent changes to this subject; retry');
      }
    }
    await this.keys.destroy(subjectId, meta.now);
    await this.blindIndex.removeAll(subjectId);
    return erasedNow;
  }
}
