import type { Decider } from '../shared/decider';
import { conflict, invalid, notFound } from '../shared/domain-error';
import { SUBJECT_ACCESS_PURPOSE } from '../oversight/access.events';
import type { PurposeEvent } from './purpose.events';
import type { Notice, PurposeDefinition, PurposeState } from './purpose.types';

export type PurposeCommand =
  | { type: 'RegisterPurpose'; definition: PurposeDefinition }
  | { type: 'PublishNotice'; purposeId: string; notice: Omit<Notice, 'publishedAt'> }
  | { type: 'ActivatePurpose'; purposeId: string }
  | { type: 'RetirePurpose'; purposeId: string };

export interface PurposeContext {
  now: Date;
}

/** A purpose's life: registered as a draft, notices published, activated by a DPO, retired. */
export const purposeDecider: Decider<
  PurposeCommand,
  PurposeState | null,
  PurposeEvent,
  PurposeContext
> = {
  initialState: () => null,

  evolve(state, event) {
    switch (event.type) {
      case 'PurposeRegistered': {
        const { registeredAt, ...definition } = event.data;
        return {
          ...definition,
          status: 'draft',
          notices: [],
          registeredAt,
          activatedAt: null,
          retiredAt: null,
        };
      }
      case 'NoticePublished': {
        if (!state) return state;
        const { purposeId: _purposeId, ...notice } = event.data;
        return { ...state, notices: [...state.notices, notice] };
      }
      case 'PurposeActivated':
        return state && { ...state, status: 'active', activatedAt: event.data.activatedAt };
      case 'PurposeRetired':
        return state && { ...state, status: 'retired', retiredAt: event.data.retiredAt };
    }
  },

  decide(command, state, { now }) {
    const at = now.toISOString();
    if (command.type === 'RegisterPurpose') {
      if (command.definition.purposeId === SUBJECT_ACCESS_PURPOSE)
        throw invalid(
          'purposeId',
          `"${SUBJECT_ACCESS_PURPOSE}" is built in: the purpose privacy requests are answered under`,
        );
      if (state)
        throw conflict(
          'purposeId',
          `purpose "${command.definition.purposeId}" is already registered`,
        );
      if (command.definition.flags.aiTraining && !command.definition.flags.aiProcessing)
        throw invalid(
          'flags.aiTraining',
          'training AI models is AI processing: set aiProcessing too',
        );
      const hold = command.definition.legalHold;
      if (hold) {
        // A hold rests on a law or a contract; a consent withdrawn leaves nothing to keep.
        if (command.definition.legalBasis === 'consent')
          throw invalid(
            'legalHold',
            'a legal hold needs a legal basis other than consent (legal_obligation, contract…)',
          );
        const minimum = new Set(command.definition.assessment.minimumFields);
        const stray = hold.fields.filter((f) => !minimum.has(f));
        if (stray.length > 0)
          throw invalid(
            'legalHold.fields',
            `must be among the purpose's minimum fields (not: ${stray.join(', ')})`,
          );
      }
      return [{ type: 'PurposeRegistered', data: { ...command.definition, registeredAt: at } }];
    }
    if (!state) throw notFound('purposeId', `purpose "${command.purposeId}" is not registered`);
    switch (command.type) {
      case 'PublishNotice': {
        if (state.status === 'retired') throw conflict('purposeId', 'purpose is retired');
        const { version, language } = command.notice;
        if (state.notices.some((n) => n.version === version && n.language === language)) {
          throw conflict(
            'version',
            `notice version "${version}" in "${language}" is already published`,
          );
        }
        return [
          {
            type: 'NoticePublished',
            data: { purposeId: state.purposeId, ...command.notice, publishedAt: at },
          },
        ];
      }
      case 'ActivatePurpose':
        if (state.status === 'active') return [];
        if (state.status === 'retired')
          throw conflict('purposeId', 'a retired purpose cannot be activated again');
        if (state.legalBasis === 'consent' && state.notices.length === 0) {
          throw invalid(
            'purposeId',
            'a purpose resting on consent needs a published notice before activation',
          );
        }
        return [
          { type: 'PurposeActivated', data: { purposeId: state.purposeId, activatedAt: at } },
        ];
      case 'RetirePurpose':
        if (state.status === 'retired') return [];
        return [{ type: 'PurposeRetired', data: { purposeId: state.purposeId, retiredAt: at } }];
    }
  },
};

/** The purpose as it stood at a moment, from its events (each carries its own time). */
export function purposeAt(events: readonly PurposeEvent[], at: Date): PurposeState | null {
  const cutoff = at.toISOString();
  let state: PurposeState | null = null;
  for (const event of events) {
    if (eventTime(event) > cutoff) break;
    state = purposeDecider.evolve(state, event);
  }
  return state;
}

function eventTime(event: PurposeEvent): string {
  switch (event.type) {
    case 'PurposeRegistered':
      return event.data.registeredAt;
    case 'NoticePublished':
      return event.data.publishedAt;
    case 'PurposeActivated':
      return event.data.activatedAt;
    case 'PurposeRetired':
      return event.data.retiredAt;
  }
}
