import {
  DEFAULT_PHONE_REGION,
  isSupportedPhoneRegion,
  MASTER_KEY_FILE_NAME,
} from '@custodian/crypto';
import { join, resolve } from 'node:path';
import { looseSecretFile } from '../storage/private-files';
import { loadWebhooksConfig, type WebhooksConfig } from './webhooks-config';

export type ProjectorMode = 'in-process' | 'off';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface CustodianConfig {
  port: number;
  host: string;
  dataDir: string;
  /** How long a completed export may be downloaded (its file is deleted after). */
  exportTtlHours: number;
  /**
   * Erasures one actor may make in an hour (UTC-aligned) before each further one waits for a
   * second person, a DPO other than the requester. Retention sweeps are exempt.
   */
  erasureApprovalAbove: number;
  /**
   * Days a connector has to acknowledge an erasure or a withdrawal before it shows as overdue
   * (152-FZ Art. 21 p.5: 30 days; `CUSTODIAN_DOWNSTREAM_DEADLINE_DAYS`).
   */
  downstreamDeadlineDays: number;
  actorsFile: string;
  /** True when no CUSTODIAN_ACTORS_FILE was given: embedded mode may then create the file. */
  actorsFileIsDefault: boolean;
  /** Verification of people's JWTs; undefined when only API keys are accepted. */
  jwt:
    | {
        issuer: string;
        audience: string;
        rolesClaim: string;
        /** A token's lifetime (`exp - iat`, or `exp - now` without `iat`) may not exceed this. */
        maxLifetimeSeconds: number;
        jwksUrl?: string;
        publicKeyFile?: string;
      }
    | undefined;
  /** The controller named in consent receipts. */
  controller: { name: string; contact: string };
  /** Base64 of 32 bytes, or undefined to generate one into the data dir in embedded mode. */
  masterKey: string | undefined;
  eventStore: { kind: 'sqlite'; file: string } | { kind: 'eventstoredb'; connectionString: string };
  readStore: { kind: 'sqlite'; file: string } | { kind: 'mongodb'; uri: string; database: string };
  /** Whether this process runs the projections (the embedded default) or leaves them to `apps/projector`. */
  projector: ProjectorMode;
  projectionBatchSize: number;
  /** How long a live projection batch waits for more events, in ms. */
  projectionLingerMs: number;
  /** How often retention erasures are swept for, in ms; 0 turns the sweep off. */
  retentionSweepMs: number;
  /**
   * How long the singleton lease and the projector's heartbeat last unless renewed (renewed
   * every third of it); a dead holder's work moves after at most this long.
   */
  leaseTtlMs: number;
  /** How long a stop may take in all, in ms, before the process exits naming what was left. */
  shutdownTimeoutMs: number;
  /** `/health/ready` answers 503 while any projection is further behind the log than this. */
  readiness: { maxLagEvents: number; maxLagMs: number };
  logLevel: LogLevel;
  /** Write logs to this file instead of standard output. */
  logFile: string | undefined;
  /** Where customers reach the privacy centre (links are built on it); else the API's own origin. */
  privacyCentreUrl: string | undefined;
  /** ISO 3166 region a phone number without a country code is read in (`CUSTODIAN_PHONE_REGION`, default RU). */
  phoneRegion: string;
  /**
   * Integrity checkpoints: one is sealed every `checkpointEvery` events
   * (`CUSTODIAN_INTEGRITY_CHECKPOINT_EVERY`), and every `checkpointIntervalMs` the rest is sealed
   * too (`CUSTODIAN_INTEGRITY_CHECKPOINT_MS`; 0 turns the timer off).
   */
  integrity: { checkpointEvery: number; checkpointIntervalMs: number };
  /** Outbound webhooks to connectors (`CUSTODIAN_WEBHOOKS_*`). */
  webhooks: WebhooksConfig;
  /**
   * Text bound for AI connectors (issue 17): the most UTF-8 bytes one redaction takes
   * (`CUSTODIAN_REDACTION_MAX_BYTES`, default 65536) and how long its pseudonym mapping can
   * be restored (`CUSTODIAN_REDACTION_MAPPING_TTL_HOURS`, default 24).
   */
  redaction: { maxTextBytes: number; mappingTtlHours: number };
}

/** Every problem with the environment, reported together at start-up. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

const LOG_LEVELS: readonly LogLevel[] = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
];

/**
 * Reads the configuration from the environment. Values that may hold secrets (connection
 * strings, the master key) are never echoed in an error.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): CustodianConfig {
  const problems: string[] = [];
  const text = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = text(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < min || value > max) {
      problems.push(`${name}: must be an integer from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  };

  const port = integer('PORT', 3000, 0, 65535);
  const host = text('HOST') ?? '127.0.0.1';
  const dataDir = resolve(text('CUSTODIAN_DATA_DIR') ?? './data');
  const actorsFile = resolve(text('CUSTODIAN_ACTORS_FILE') ?? `${dataDir}/actors.json`);
  const jwtIssuer = text('CUSTODIAN_JWT_ISSUER');
  const jwksUrl = text('CUSTODIAN_JWT_JWKS_URL');
  const publicKeyFile = text('CUSTODIAN_JWT_PUBLIC_KEY_FILE');
  const jwtMaxLifetimeHours = integer('CUSTODIAN_JWT_MAX_LIFETIME_HOURS', 12, 1, 24 * 30);
  if ((jwksUrl || publicKeyFile) && !jwtIssuer) {
    problems.push('CUSTODIAN_JWT_ISSUER: must be set when a JWT key source is configured');
  }
  if (jwtIssuer && !jwksUrl && !publicKeyFile) {
    problems.push(
      'CUSTODIAN_JWT_ISSUER: needs CUSTODIAN_JWT_JWKS_URL or CUSTODIAN_JWT_PUBLIC_KEY_FILE',
    );
  }
  if (jwksUrl && publicKeyFile) {
    problems.push(
      'CUSTODIAN_JWT_JWKS_URL: set either it or CUSTODIAN_JWT_PUBLIC_KEY_FILE, not both',
    );
  }
  if (jwksUrl && !/^https:\/\/|^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(jwksUrl)) {
    problems.push(
      'CUSTODIAN_JWT_JWKS_URL: must be an https URL (http only on 127.0.0.1 or localhost)',
    );
  }
  const controller = {
    name:
      text('CUSTODIAN_CONTROLLER_NAME') ??
      'Controller name not configured (CUSTODIAN_CONTROLLER_NAME)',
    contact:
      text('CUSTODIAN_CONTROLLER_CONTACT') ?? 'not configured (CUSTODIAN_CONTROLLER_CONTACT)',
  };

  const masterKey = text('CUSTODIAN_MASTER_KEY');
  if (masterKey !== undefined && !isBase64Key(masterKey)) {
    problems.push('CUSTODIAN_MASTER_KEY: must be the base64 encoding of exactly 32 bytes');
  }

  const esdb = text('EVENTSTORE_CONNECTION_STRING');
  // Only the schemes @eventstore/db-client 6 parses (its parseConnectionString): kurrentdb://
  // and kdb:// belong to the newer KurrentDB client and would fail at the first connection.
  if (esdb !== undefined && !/^esdb(\+discover)?:\/\//.test(esdb.trim())) {
    problems.push(
      'EVENTSTORE_CONNECTION_STRING: must start with esdb:// or esdb+discover:// (the schemes @eventstore/db-client 6 accepts)',
    );
  }
  const mongo = text('MONGODB_URI');
  if (mongo !== undefined && !/^mongodb(\+srv)?:\/\//.test(mongo)) {
    problems.push('MONGODB_URI: must start with mongodb:// or mongodb+srv://');
  }
  const database = text('MONGODB_DATABASE') ?? 'custodian';
  if (!/^[A-Za-z0-9_-]{1,63}$/.test(database)) {
    problems.push(`MONGODB_DATABASE: must be 1-63 letters, digits, "_" or "-" (got "${database}")`);
  }

  const projector = text('CUSTODIAN_PROJECTOR') ?? 'in-process';
  if (projector !== 'in-process' && projector !== 'off') {
    problems.push(`CUSTODIAN_PROJECTOR: must be "in-process" or "off" (got "${projector}")`);
  }
  const logLevel = (text('LOG_LEVEL') ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    problems.push(`LOG_LEVEL: must be one of ${LOG_LEVELS.join(', ')} (got "${logLevel}")`);
  }
  const projectionBatchSize = integer('CUSTODIAN_PROJECTION_BATCH_SIZE', 500, 1, 10_000);
  const projectionLingerMs = integer('CUSTODIAN_PROJECTION_LINGER_MS', 10, 0, 1000);
  const retentionSweepMs = integer('CUSTODIAN_RETENTION_SWEEP_MS', 60_000, 0, 86_400_000);
  const leaseTtlMs = integer('CUSTODIAN_LEASE_TTL_MS', 15_000, 300, 600_000);
  const shutdownTimeoutMs = integer('CUSTODIAN_SHUTDOWN_TIMEOUT_MS', 10_000, 100, 600_000);
  const exportTtlHours = integer('CUSTODIAN_EXPORT_TTL_HOURS', 24, 1, 720);
  const erasureApprovalAbove = integer('CUSTODIAN_ERASURE_APPROVAL_ABOVE', 50, 0, 10_000);
  const downstreamDeadlineDays = integer('CUSTODIAN_DOWNSTREAM_DEADLINE_DAYS', 30, 1, 365);
  const redaction = {
    maxTextBytes: integer('CUSTODIAN_REDACTION_MAX_BYTES', 65_536, 1, 1_000_000),
    mappingTtlHours: integer('CUSTODIAN_REDACTION_MAPPING_TTL_HOURS', 24, 1, 720),
  };
  const readyMaxLagEvents = integer('CUSTODIAN_READY_MAX_LAG_EVENTS', 10_000, 1, 1_000_000);
  const readyMaxLagMs = integer('CUSTODIAN_READY_MAX_LAG_MS', 10_000, 1, 86_400_000);
  const checkpointEvery = integer('CUSTODIAN_INTEGRITY_CHECKPOINT_EVERY', 1000, 1, 100_000);
  const checkpointIntervalMs = integer('CUSTODIAN_INTEGRITY_CHECKPOINT_MS', 300_000, 0, 86_400_000);
  const logFile = text('CUSTODIAN_LOG_FILE');
  const flag = (name: string): boolean | undefined => {
    const raw = text(name);
    if (raw === undefined) return undefined;
    if (raw !== 'true' && raw !== 'false') problems.push(`${name}: must be "true" or "false"`);
    return raw === 'true';
  };
  const webhooks = loadWebhooksConfig(flag, integer);
  const privacyCentreUrl = text('CUSTODIAN_PRIVACY_CENTRE_URL');
  if (
    privacyCentreUrl !== undefined &&
    !/^https?:\/\/[^\s/?#@]+(\/[^\s?#]*)?$/.test(privacyCentreUrl)
  )
    problems.push('CUSTODIAN_PRIVACY_CENTRE_URL: must be an http(s) URL with no query or fragment');
  const phoneRegion = (text('CUSTODIAN_PHONE_REGION') ?? DEFAULT_PHONE_REGION).toUpperCase();
  if (!isSupportedPhoneRegion(phoneRegion)) {
    problems.push(
      `CUSTODIAN_PHONE_REGION: must be a two-letter region code such as RU or GB (got "${phoneRegion}")`,
    );
  }

  // Secret files others may read or write are refused, as ssh refuses such a private key. A key
  // given inline in CUSTODIAN_MASTER_KEY has no file mode: the environment is then the secret.
  const looseFiles = [
    masterKey === undefined
      ? looseSecretFile(join(dataDir, MASTER_KEY_FILE_NAME), 'the master key file')
      : undefined,
    looseSecretFile(actorsFile, 'the actors file'),
  ];
  for (const problem of looseFiles) if (problem) problems.push(problem);

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    port,
    host,
    dataDir,
    exportTtlHours,
    erasureApprovalAbove,
    downstreamDeadlineDays,
    redaction,
    actorsFile,
    actorsFileIsDefault: text('CUSTODIAN_ACTORS_FILE') === undefined,
    jwt: jwtIssuer
      ? {
          issuer: jwtIssuer,
          audience: text('CUSTODIAN_JWT_AUDIENCE') ?? 'custodian',
          rolesClaim: text('CUSTODIAN_JWT_ROLES_CLAIM') ?? 'roles',
          maxLifetimeSeconds: jwtMaxLifetimeHours * 3600,
          ...(jwksUrl ? { jwksUrl } : {}),
          ...(publicKeyFile ? { publicKeyFile: resolve(publicKeyFile) } : {}),
        }
      : undefined,
    controller,
    masterKey,
    eventStore: esdb
      ? { kind: 'eventstoredb', connectionString: esdb }
      : { kind: 'sqlite', file: `${dataDir}/events.sqlite` },
    readStore: mongo
      ? { kind: 'mongodb', uri: mongo, database }
      : { kind: 'sqlite', file: `${dataDir}/read.sqlite` },
    projector: projector as ProjectorMode,
    projectionBatchSize,
    projectionLingerMs,
    retentionSweepMs,
    leaseTtlMs,
    shutdownTimeoutMs,
    readiness: { maxLagEvents: readyMaxLagEvents, maxLagMs: readyMaxLagMs },
    logLevel,
    logFile: logFile === undefined ? undefined : resolve(logFile),
    privacyCentreUrl,
    phoneRegion,
    integrity: { checkpointEvery, checkpointIntervalMs },
    webhooks,
  };
}

function isBase64Key(value: string): boolean {
  return /^[A-Za-z0-9+/]{43}=$/.test(value) && Buffer.from(value, 'base64').length === 32;
}
