import type { Decider } from '../shared/decider';
import { conflict, DomainError, invalid, notFound } from '../shared/domain-error';
import type { DuplicateOf, SubjectEvent } from './subject.events';
import type { EncryptedFields, ErasureChannel, ErasureReason, SubjectState } from './subject.types';

export type SubjectCommand =
  | {
      type: 'RegisterSubject';
      subjectId: string;
      keyId: string;
      source: string;
      fields: EncryptedFields;
      duplicateOf?: DuplicateOf;
    }
  | {
      type: 'UpdateProfile';
      subjectId: string;
      keyId: string;
      changed: Record<string, string | null>;
      duplicateOf?: DuplicateOf;
    }
  | {
      type: 'EraseSubject';
      subjectId: string;
      reason: ErasureReason;
      requestedVia: ErasureChannel;
    };

export interface SubjectContext {
  now: Date;
}

export const gone = (subjectId: string) =>
  new DomainError('gone', 'subjectId', `subject ${subjectId} has been erased`);

/** A data subject: registered with encrypted fields, updated, erased by destroying its key. */
export const subjectDecider: Decider<
  SubjectCommand,
  SubjectState | null,
  SubjectEvent,
  SubjectContext
> = {
  initialState: () => null,

  evolve(state, event) {
    switch (event.type) {
      case 'SubjectRegistered': {
        const { subjectId, keyId, source, fields, registeredAt } = event.data;
        return { subjectId, keyId, source, fields, registeredAt, erased: null };
      }
      case 'ProfileUpdated': {
        if (!state) return state;
        const fields = { ...state.fields };
        for (const [name, value] of Object.entries(event.data.changed)) {
          if (value === null) delete fields[name];
          else fields[name] = value;
        }
        return { ...state, fields };
      }
      case 'SubjectErased':
        return (
          state && {
            ...state,
            fields: {},
            erased: { at: event.data.erasedAt, reason: event.data.reason, keyId: event.data.keyId },
          }
        );
    }
  },

  decide(command, state, { now }) {
    const at = now.toISOString();
    if (command.type === 'RegisterSubject') {
      if (state) throw conflict('subjectId', `subject ${command.subjectId} is already registered`);
      const { subjectId, keyId, source, fields, duplicateOf } = command;
      return [
        {
          type: 'SubjectRegistered',
          data: {
            subjectId,
            keyId,
            source,
            fields,
            registeredAt: at,
            ...(duplicateOf ? { duplicateOf } : {}),
          },
        },
      ];
    }
    if (!state) throw notFound('subjectId', `subject ${command.subjectId} is not registered`);
    if (command.type === 'EraseSubject') {
      if (state.erased) return [];
      const { subjectId, reason, requestedVia } = command;
      const keyId = state.keyId;
      return [
        { type: 'SubjectErased', data: { subjectId, keyId, reason, requestedVia, erasedAt: at } },
      ];
    }
    if (state.erased) throw gone(state.subjectId);
    const changed = Object.fromEntries(
      Object.entries(command.changed).filter(
        ([name, value]) => !(value === null && !(name in state.fields)),
      ),
    );
    if (Object.keys(changed).length === 0) throw invalid('profile', 'changes nothing');
    return [
      {
        type: 'ProfileUpdated',
        data: {
          subjectId: state.subjectId,
          keyId: command.keyId,
          changed,
          updatedAt: at,
          ...(command.duplicateOf ? { duplicateOf: command.duplicateOf } : {}),
        },
      },
    ];
  },
};
