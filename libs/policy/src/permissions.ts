import type { Role } from './roles';

/**
 * Who may do what, in one place. Every /v1 route names one of these permissions; a route
 * that names none is refused to everyone (the guard fails closed).
 */
export const PERMISSIONS = {
  /** Register purposes, publish notices, retire purposes. */
  'purposes.manage': ['admin', 'dpo'],
  /** Activation is the DPO's sign-off on the privacy-by-design check. */
  'purposes.activate': ['dpo'],
  'purposes.read': [
    'admin',
    'dpo',
    'service',
    'sales',
    'marketing',
    'support',
    'analyst',
    'dashboard',
  ],
  /** Record a grant or revocation (services, and people who take requests by phone or in person). */
  'consents.record': ['admin', 'service', 'support', 'sales'],
  'consents.read': ['admin', 'dpo', 'service', 'support', 'sales', 'marketing'],
  'consents.history': ['admin', 'dpo', 'support'],
  /** The check a mailer or campaign makes before contacting anyone. */
  'consents.gate': ['admin', 'service', 'marketing'],
  'receipts.read': ['admin', 'dpo', 'service', 'support'],
  /** Register customers and change their profiles. */
  'subjects.register': ['admin', 'service', 'support', 'sales'],
  'subjects.update': ['admin', 'service', 'support'],
  /** Find a customer by exact email or phone, for a declared purpose. */
  'subjects.lookup': ['admin', 'dpo', 'service', 'support', 'sales', 'marketing'],
  /** Record an erasure request (crypto-shredding). */
  'subjects.erase': ['admin', 'dpo', 'support', 'service'],
  'subjects.erasure-receipt': ['admin', 'dpo', 'support'],
  /** The second pair of eyes on an erasure past the hourly limit (never the requester's own). */
  'subjects.erasure-approve': ['dpo'],
  /** Everything held about a customer, for access and portability requests. */
  'subjects.dsar': ['admin', 'dpo'],
  /** The audited read of a customer for a declared purpose (the role policy narrows further). */
  'subjects.view': ['admin', 'dpo', 'service', 'sales', 'marketing', 'support', 'analyst'],
  /** Who read or was refused a customer's data. */
  'subjects.access-log': ['admin', 'dpo'],
  /** One customer's history: registration, changes, consents, reads, exports, erasure (no values). */
  'subjects.timeline': ['admin', 'dpo'],
  /** Verify the log against its signed checkpoints; export the checkpoints. */
  'audit.integrity': ['admin', 'dpo'],
  'policy.read': ['admin', 'dpo'],
  /** A new version of the role policy (field visibility and masks). */
  'policy.publish': ['dpo'],
  'catalogue.manage': ['admin', 'dpo'],
  'catalogue.read': ['admin', 'dpo', 'service', 'sales', 'marketing', 'support', 'analyst'],
  /** Ask for an export of customers (a DPO approves large ones); read and download one's own. */
  'exports.request': ['admin', 'dpo', 'service', 'sales', 'marketing', 'support', 'analyst'],
  'exports.read': ['admin', 'dpo', 'service', 'sales', 'marketing', 'support', 'analyst'],
  'exports.download': ['admin', 'dpo', 'service', 'sales', 'marketing', 'support', 'analyst'],
  /** The second pair of eyes on a large export (never the requester's own). */
  'exports.approve': ['dpo'],
  'anomalies.read': ['admin', 'dpo', 'dashboard'],
  'anomaly-rules.read': ['admin', 'dpo'],
  /** A new version of the anomaly rules. */
  'anomaly-rules.publish': ['dpo'],
  /** Run a candidate rule set over past history (no side effects). */
  'anomaly-rules.evaluate': ['admin', 'dpo'],
  'actors.read': ['admin', 'dpo'],
  /** Containment: suspend a member of staff or an integration's key. */
  'actors.suspend': ['admin', 'dpo'],
  /** Only a DPO lifts a suspension. */
  'actors.reinstate': ['dpo'],
  'incidents.manage': ['admin', 'dpo'],
  'incidents.read': ['admin', 'dpo'],
  /** The audit report of a period (CSV or PDF): counts, roles and purposes, no personal data. */
  'audit.reports': ['admin', 'dpo'],
  /** Open a data subject's request as a case (the DPO; the CRM forwards requests as `service`). */
  'privacy-requests.open': ['dpo', 'service'],
  /** Verify the identity, extend, complete or refuse a privacy request. */
  'privacy-requests.manage': ['dpo'],
  'privacy-requests.read': ['admin', 'dpo'],
  /** Issue a customer's signed link to the privacy centre (the CRM sends it; a DPO may too). */
  'privacy-links.issue': ['dpo', 'service'],
  /** Read the fields a legal hold keeps after an erasure, for the purpose that holds them. */
  'subjects.held-read': ['dpo'],
  /** Aggregates only, never personal values. */
  'dashboard.read': ['admin', 'dpo', 'analyst', 'dashboard'],
  /** `GET /metrics` (Prometheus): counts and durations, no ids; for the monitoring key. */
  'metrics.read': ['admin', 'dashboard'],
  /** Audit queries: reads and refusals across customers, justifications, the exports list. */
  'audit.read': ['admin', 'dpo'],
  /** Record that a consent receipt is unsound (the reads that relied on it become affected). */
  'receipts.invalidate': ['dpo'],
  /** Replay past reads under a candidate role policy (no side effects). */
  'policy.evaluate': ['admin', 'dpo'],
  /** The connector registry (the data map): register connectors, rotate their webhook secrets. */
  'connectors.manage': ['admin', 'dpo'],
  'connectors.read': ['admin', 'dpo'],
  /** Containment of a downstream system: stop its deliveries, its feed and its key. */
  'connectors.suspend': ['admin', 'dpo'],
  'connectors.reinstate': ['admin', 'dpo'],
  /** Webhook delivery attempts, and redelivery of one event or a range. */
  'connectors.deliveries': ['admin', 'dpo'],
  /** A connector's acknowledgement that it forgot a customer or stopped processing. */
  'connectors.acknowledge': ['admin', 'dpo'],
  /**
   * Redact text bound for an AI connector, and put a redaction's values back into a model's
   * answer (issue 17); the purpose's allowed roles and the role policy narrow further.
   */
  'redactions.create': ['admin', 'dpo', 'service', 'sales', 'marketing', 'support', 'analyst'],
  'redactions.restore': ['admin', 'dpo', 'service', 'sales', 'marketing', 'support', 'analyst'],
  /** Keep the result (a tag or a score) of an AI analysis about a customer. */
  'insights.record': ['admin', 'service'],
  /** The change feed: connectors' own keys only (see CONNECTOR_KEY_PERMISSIONS), no staff role. */
  'feed.read': [],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSIONS;

export function roleMay(role: Role, permission: Permission): boolean {
  return (PERMISSIONS[permission] as readonly Role[]).includes(role);
}

/**
 * What a connector's own API key (issued at its registration) may do: read its change feed
 * and acknowledge erasures and withdrawals. Nothing else, whatever the route.
 */
export const CONNECTOR_KEY_PERMISSIONS: ReadonlySet<Permission> = new Set<Permission>([
  'feed.read',
  'connectors.acknowledge',
]);
