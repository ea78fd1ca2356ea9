import type { DomainEvent } from '../shared/decider';
import type { ConnectorDefinition, SealedSecret } from './connector.types';

export type ConnectorRegistered = DomainEvent<
  'ConnectorRegistered',
  ConnectorDefinition & { apiKeySha256: string; registeredAt: string }
>;

/**
 * A new webhook signing secret (at registration or a rotation). The previous one stays valid
 * until `previousValidUntil`, so a receiver can switch over without losing a delivery.
 */
export type WebhookSecretIssued = DomainEvent<
  'WebhookSecretIssued',
  SealedSecret & { connectorId: string; previousValidUntil: string | null }
>;

export type ConnectorSuspended = DomainEvent<
  'ConnectorSuspended',
  {
    connectorId: string;
    /** The DPO or admin who did, or the anomaly rule. */
    by: string;
    reason: string;
    at: string;
  }
>;

export type ConnectorReinstated = DomainEvent<
  'ConnectorReinstated',
  { connectorId: string; by: string; reason: string; at: string }
>;

export type ConnectorEvent =
  ConnectorRegistered | WebhookSecretIssued | ConnectorSuspended | ConnectorReinstated;

export const CONNECTOR_EVENT_TYPES: readonly ConnectorEvent['type'][] = [
  'ConnectorRegistered',
  'WebhookSecretIssued',
  'ConnectorSuspended',
  'ConnectorReinstated',
];

export const connectorStream = (connectorId: string) => `connector-${connectorId}`;
