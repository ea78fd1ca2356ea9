import { loadMasterKey, MASTER_KEY_FILE_NAME, type KeyStore } from '@custodian/crypto';
import type { EventStore } from '@custodian/event-store';
import {
  createEventStore,
  createKeyStore,
  createReadStore,
  loadConfig,
  type CustodianConfig,
} from '@custodian/platform';
import type { ReadStore } from '@custodian/read-store';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from './cli-errors';

/** The configuration the app would run with (the same environment variables). */
export function cliConfig(): CustodianConfig {
  return loadConfig();
}

export function isEmbedded(config: CustodianConfig): boolean {
  return config.eventStore.kind === 'sqlite' && config.readStore.kind === 'sqlite';
}

/** Opens the stores the configuration names, hands them to `work`, and closes them after. */
export async function withStores<T>(
  config: CustodianConfig,
  work: (stores: { events: EventStore; reads: ReadStore }) => Promise<T>,
): Promise<T> {
  const events = createEventStore(config);
  const reads = createReadStore(config);
  try {
    return await work({ events, reads });
  } finally {
    await Promise.allSettled([reads.close(), events.close()]);
  }
}

export async function withKeyStore<T>(
  config: CustodianConfig,
  work: (keys: KeyStore) => Promise<T>,
): Promise<T> {
  const keys = createKeyStore(config);
  try {
    return await work(keys);
  } finally {
    await keys.close();
  }
}

/**
 * The master key the app is configured with (`CUSTODIAN_MASTER_KEY`, else `master.key` in the
 * data directory). Unlike the app, the CLI never generates one.
 */
export function configuredMasterKey(config: CustodianConfig): Buffer {
  if (!config.masterKey && !existsSync(join(config.dataDir, MASTER_KEY_FILE_NAME)))
    throw new CliError(
      `no master key: set CUSTODIAN_MASTER_KEY or keep ${join(config.dataDir, MASTER_KEY_FILE_NAME)}, as the app runs with`,
    );
  return loadMasterKey({
    masterKey: config.masterKey,
    dataDir: config.dataDir,
    embedded: config.eventStore.kind === 'sqlite',
  }).key;
}
