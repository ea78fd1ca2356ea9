/**
 * A connector: a downstream system that receives customers' data (a mailer, an ad platform, a
 * data warehouse…). The registry is the data map: what it serves, what it receives, where it
 * processes, and on what footing. It holds no personal values.
 */
export const CONNECTOR_KINDS = [
  'mailer',
  'ads',
  'analytics',
  'support_desk',
  'ai_vendor',
  'warehouse',
  'other',
] as const;
export type ConnectorKind = (typeof CONNECTOR_KINDS)[number];

/** A processor acts on the controller's instructions; a third party for its own ends. */
export const CONNECTOR_ROLES = ['processor', 'third_party'] as const;
export type ConnectorRole = (typeof CONNECTOR_ROLES)[number];

/**
 * What a connector may subscribe to. Each names facts only (ids, purposes, field names, times),
 * never a personal value. A consent's expiry is not an event in the log (it is a time the grant
 * carries: `expiresAt` in `consent.granted`), so there is no `consent.expired` to subscribe to.
 */
export const WEBHOOK_EVENT_TYPES = [
  'consent.granted',
  'consent.revoked',
  'consent.gpc_opt_out',
  'profile.changed',
  'erasure.requested',
  'connector.suspended',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export interface ConnectorWebhook {
  /** The one destination deliveries go to (https; http to loopback only when allowed). */
  url: string;
  events: WebhookEventType[];
}

/**
 * What an AI vendor does with data it receives (issue 17): analysis (a tag or score comes back)
 * and/or training its models. Declared in the registry; absent when not declared.
 */
export interface ConnectorAiUse {
  analysis: boolean;
  training: boolean;
}

export interface ConnectorDefinition {
  connectorId: string;
  name: string;
  kind: ConnectorKind;
  /** Who in the company answers for it (a team or staff id, not a customer). */
  owner: string;
  purposes: string[];
  fields: string[];
  /** ISO 3166-1 alpha-2 country it processes in. */
  country: string;
  role: ConnectorRole;
  webhook: ConnectorWebhook | null;
  /** AI use, when the connector declares it (older registrations have none). */
  ai?: ConnectorAiUse;
}

/** A webhook signing secret, sealed under a key derived from the master key (never in clear). */
export interface SealedSecret {
  secretId: string;
  sealed: string;
  issuedAt: string;
}

export interface ConnectorState extends ConnectorDefinition {
  status: 'active' | 'suspended';
  registeredAt: string;
  /** SHA-256 (hex) of the connector's API key, for its feed and acknowledgements. */
  apiKeySha256: string;
  /** The newest secret first; an older one is still valid until `validUntil`. */
  secrets: Array<SealedSecret & { validUntil: string | null }>;
  suspension: null | { since: string; reason: string; by: string };
}
