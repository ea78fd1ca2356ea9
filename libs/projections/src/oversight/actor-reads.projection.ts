import type { FieldsAccessed, JsonObject, SubjectExported } from '@custodian/domain';
import type { TypedProjection } from '../projection.definition';

const HOUR = 3_600_000;

export interface ActorReadsDocument extends JsonObject {
  actorId: string;
  subjectId: string;
  /** Start of the UTC hour. */
  hour: string;
  /** When, within that hour, this actor read or exported this customer. */
  at: string[];
}

/**
 * Which customers each actor read or exported, per hour: what an incident needs to name the
 * customers affected by someone's access in a window (refused reads disclosed nothing).
 */
export const actorReadsProjection: TypedProjection<
  ActorReadsDocument,
  FieldsAccessed | SubjectExported
> = {
  name: 'actor_reads',
  version: 1,
  eventTypes: ['FieldsAccessed', 'SubjectExported'],
  indexes: ['actorId', 'hour'],
  documentIds: (event) => {
    const { data } = event;
    return [`${hourOf(data.at)}|${data.subjectId}|${data.actorId}`];
  },
  apply: (doc, event) => {
    const { data } = event;
    return {
      actorId: data.actorId,
      subjectId: data.subjectId,
      hour: hourOf(data.at),
      at: [...(doc?.at ?? []), data.at],
    };
  },
};

export function hourOf(at: string): string {
  return new Date(Math.floor(Date.parse(at) / HOUR) * HOUR).toISOString();
}
