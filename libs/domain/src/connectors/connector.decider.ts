import type { Decider } from '../shared/decider';
import { conflict, invalid, notFound } from '../shared/domain-error';
import type { ConnectorEvent } from './connector.events';
import type { ConnectorDefinition, ConnectorState, SealedSecret } from './connector.types';

export type ConnectorCommand =
  | {
      type: 'RegisterConnector';
      definition: ConnectorDefinition;
      apiKeySha256: string;
      /** Given when the connector has a webhook. */
      secret: SealedSecret | null;
    }
  | { type: 'RotateWebhookSecret'; connectorId: string; secret: SealedSecret }
  | { type: 'SuspendConnector'; connectorId: string; by: string; reason: string }
  | { type: 'ReinstateConnector'; connectorId: string; by: string; reason: string };

export interface ConnectorContext {
  now: Date;
  /** How long the previous secret stays valid after a rotation. */
  secretGraceMs: number;
}

/** A connector's life: registered, its signing secret rotated, suspended and reinstated. */
export const connectorDecider: Decider<
  ConnectorCommand,
  ConnectorState | null,
  ConnectorEvent,
  ConnectorContext
> = {
  initialState: () => null,

  evolve(state, event) {
    switch (event.type) {
      case 'ConnectorRegistered': {
        const { registeredAt, apiKeySha256, ...definition } = event.data;
        return {
          ...definition,
          status: 'active',
          registeredAt,
          apiKeySha256,
          secrets: [],
          suspension: null,
        };
      }
      case 'WebhookSecretIssued': {
        if (!state) return state;
        const { connectorId: _id, previousValidUntil, ...secret } = event.data;
        const [previous] = state.secrets;
        return {
          ...state,
          secrets: [
            { ...secret, validUntil: null },
            ...(previous && previousValidUntil
              ? [{ ...previous, validUntil: previousValidUntil }]
              : []),
          ],
        };
      }
      case 'ConnectorSuspended':
        return (
          state && {
            ...state,
            status: 'suspended',
            suspension: { since: event.data.at, reason: event.data.reason, by: event.data.by },
          }
        );
      case 'ConnectorReinstated':
        return state && { ...state, status: 'active', suspension: null };
    }
  },

  decide(command, state, { now, secretGraceMs }) {
    const at = now.toISOString();
    if (command.type === 'RegisterConnector') {
      const { definition } = command;
      if (state)
        throw conflict(
          'connectorId',
          `connector "${definition.connectorId}" is already registered`,
        );
      if ((definition.webhook === null) !== (command.secret === null))
        throw invalid('webhook', 'a webhook needs a signing secret, and only a webhook has one');
      const events: ConnectorEvent[] = [
        {
          type: 'ConnectorRegistered',
          data: { ...definition, apiKeySha256: command.apiKeySha256, registeredAt: at },
        },
      ];
      if (command.secret)
        events.push({
          type: 'WebhookSecretIssued',
          data: {
            connectorId: definition.connectorId,
            ...command.secret,
            previousValidUntil: null,
          },
        });
      return events;
    }
    if (!state)
      throw notFound('connectorId', `connector "${command.connectorId}" is not registered`);
    switch (command.type) {
      case 'RotateWebhookSecret':
        if (!state.webhook)
          throw conflict('connectorId', 'the connector has no webhook, so no signing secret');
        return [
          {
            type: 'WebhookSecretIssued',
            data: {
              connectorId: state.connectorId,
              ...command.secret,
              previousValidUntil: new Date(now.getTime() + secretGraceMs).toISOString(),
            },
          },
        ];
      case 'SuspendConnector':
        if (state.status === 'suspended')
          throw conflict('connectorId', `connector "${state.connectorId}" is already suspended`);
        return [
          {
            type: 'ConnectorSuspended',
            data: { connectorId: state.connectorId, by: command.by, reason: command.reason, at },
          },
        ];
      case 'ReinstateConnector':
        if (state.status !== 'suspended')
          throw conflict('connectorId', `connector "${state.connectorId}" is not suspended`);
        return [
          {
            type: 'ConnectorReinstated',
            data: { connectorId: state.connectorId, by: command.by, reason: command.reason, at },
          },
        ];
    }
  },
};

/** The secrets a delivery is signed with at `at`: the newest, and the previous one within its grace. */
export function validSecrets(state: ConnectorState, at: Date): SealedSecret[] {
  const moment = at.toISOString();
  return state.secrets
    .filter((s) => s.validUntil === null || s.validUntil > moment)
    .map(({ secretId, sealed, issuedAt }) => ({ secretId, sealed, issuedAt }));
}
