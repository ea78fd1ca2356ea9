import type { JsonObject } from '@custodian/domain';
import type { RecordedEvent } from '@custodian/event-store';
import {
  findAllDocs,
  UnknownCollectionError,
  type DocumentWrite,
  type ReadStore,
} from '@custodian/read-store';

/** Read-store collection of the events processors gave up on, one document each. */
export const DEAD_LETTERS = 'processor_dead_letters';

/** An event a processor failed to handle `maxAttempts` times, parked so the others go on. */
export interface DeadLetter extends JsonObject {
  /** The processor's checkpoint name: which run of which processor parked it. */
  checkpoint: string;
  processor: string;
  eventId: string;
  stream: string;
  /** The event's revision in its stream, as a decimal string. */
  revision: string;
  position: string;
  type: string;
  attempts: number;
  /** The last failure's message. */
  error: string;
  parkedAt: string;
  lastAttemptAt: string;
}

export function ensureDeadLetters(reads: ReadStore): Promise<void> {
  return reads.ensureCollection({ name: DEAD_LETTERS, indexes: ['checkpoint'] });
}

export function deadLetter(
  checkpoint: string,
  processor: string,
  event: RecordedEvent,
  attempts: number,
  error: string,
  now: Date,
): DeadLetter {
  return {
    checkpoint,
    processor,
    eventId: event.id,
    stream: event.stream,
    revision: String(event.revision),
    position: event.position,
    type: event.type,
    attempts,
    error,
    parkedAt: now.toISOString(),
    lastAttemptAt: now.toISOString(),
  };
}

/** Parks a dead letter (or, with `doc` null, removes it once handled). */
export function deadLetterWrite(
  letter: Pick<DeadLetter, 'checkpoint' | 'eventId'>,
  doc: DeadLetter | null,
): DocumentWrite {
  return { collection: DEAD_LETTERS, id: `${letter.checkpoint}/${letter.eventId}`, doc };
}

/** The events a processor run has parked. */
export async function parkedEvents(reads: ReadStore, checkpoint: string): Promise<DeadLetter[]> {
  try {
    return (await findAllDocs(reads, DEAD_LETTERS, { where: { checkpoint } })) as DeadLetter[];
  } catch (error) {
    // Created by the first processor to start.
    if (error instanceof UnknownCollectionError) return [];
    throw error;
  }
}

export async function countParked(reads: ReadStore, checkpoint: string): Promise<number> {
  try {
    return await reads.count(DEAD_LETTERS, { checkpoint });
  } catch (error) {
    if (error instanceof UnknownCollectionError) return 0;
    throw error;
  }
}
