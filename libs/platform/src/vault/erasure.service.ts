import {
  subjectDecider,
  subjectStream,
  type ErasureChannel,
  type ErasureReason,
  type SubjectState,
} from '@custodian/domain';
import { SubjectKeys } from '@custodian/crypto';
import { Injectable } from '@nestjs/common';
import { CommandExecutor, type CommandMeta } from '../commands/command-executor';
import { BlindIndex } from './blind-index';

export interface ErasureOutcome {
  subject: SubjectState;
  /** False when the subject had already been erased (erasure is idempotent). */
  erasedNow: boolean;
}

/**
 * Crypto-shredding: record the erasure, then destroy the subject's data key and blind-index
 * entries. The events stay (the audit trail survives) but nothing can decrypt them. Repeating
 * an erasure decides nothing new and completes the destruction if a first attempt stopped
 * after the event was written. Constant time whatever the subject's history.
 */
@Injectable()
export class ErasureService {
  constructor(
    private readonly executor: CommandExecutor,
    private readonly keys: SubjectKeys,
    private readonly blindIndex: BlindIndex,
  ) {}

  async erase(
    subjectId: string,
    request: { reason: ErasureReason; requestedVia: ErasureChannel },
    meta: CommandMeta,
  ): Promise<ErasureOutcome> {
    const outcome = await this.executor.execute(
      subjectStream(subjectId),
      subjectDecider,
      { type: 'EraseSubject', subjectId, ...request },
      () => ({ now: meta.now }),
      meta,
    );
    await this.keys.destroy(subjectId, meta.now);
    await this.blindIndex.removeAll(subjectId);
    return { subject: outcome.state!, erasedNow: outcome.events.length > 0 };
  }
}
