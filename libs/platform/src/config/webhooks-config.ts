/** Outbound webhooks: where deliveries may go, how long they wait, how long they are retried. */
export interface WebhooksConfig {
  /** `http://` destinations on loopback (127.0.0.0/8, ::1, localhost): tests and development only. */
  allowHttpLoopback: boolean;
  /** Destinations in private, loopback or link-local ranges (refused by default: SSRF). */
  allowPrivateNetworks: boolean;
  /** One attempt gives up after this long (connect, headers and body). */
  timeoutMs: number;
  /** A response body longer than this is cut off and the attempt counts as failed. */
  maxResponseBytes: number;
  /** Retries go on this long after the first attempt, then the delivery is dead-lettered. */
  retryForMs: number;
  /** The first retry waits about this long; each next one twice as long (with jitter)… */
  backoffBaseMs: number;
  /** …up to this. */
  backoffMaxMs: number;
  /** How long the previous signing secret stays valid after a rotation. */
  secretGraceMs: number;
  /** How often the dispatcher looks for due deliveries when nothing wakes it. */
  pollMs: number;
}

export function loadWebhooksConfig(
  flag: (name: string) => boolean | undefined,
  integer: (name: string, fallback: number, min: number, max: number) => number,
): WebhooksConfig {
  return {
    allowHttpLoopback: flag('CUSTODIAN_WEBHOOKS_ALLOW_HTTP_LOOPBACK') ?? false,
    allowPrivateNetworks: flag('CUSTODIAN_WEBHOOKS_ALLOW_PRIVATE_NETWORKS') ?? false,
    timeoutMs: integer('CUSTODIAN_WEBHOOKS_TIMEOUT_MS', 5000, 50, 60_000),
    maxResponseBytes: integer('CUSTODIAN_WEBHOOKS_MAX_RESPONSE_BYTES', 65_536, 0, 10_485_760),
    retryForMs: integer('CUSTODIAN_WEBHOOKS_RETRY_FOR_MS', 86_400_000, 0, 30 * 86_400_000),
    backoffBaseMs: integer('CUSTODIAN_WEBHOOKS_BACKOFF_BASE_MS', 1000, 1, 3_600_000),
    backoffMaxMs: integer('CUSTODIAN_WEBHOOKS_BACKOFF_MAX_MS', 3_600_000, 1, 86_400_000),
    secretGraceMs: integer('CUSTODIAN_WEBHOOKS_SECRET_GRACE_MS', 86_400_000, 0, 30 * 86_400_000),
    pollMs: integer('CUSTODIAN_WEBHOOKS_POLL_MS', 1000, 10, 60_000),
  };
}
