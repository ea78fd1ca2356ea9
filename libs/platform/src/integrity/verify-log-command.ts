import {
  checkpointSignerFromKey,
  INTEGRITY_SIGNING_PURPOSE,
  loadMasterKey,
  MASTER_KEY_FILE_NAME,
  resolveDurableKey,
} from '@custodian/crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CustodianConfig } from '../config/custodian-config';
import { createEventStore } from '../storage/storage.module';
import { createKeyStore } from '../vault/key-store.module';
import { verifyLogIntegrity, type IntegrityReport } from './verify-log';

export const LOG_VERIFY_USAGE = `log verify [--from <position>] [--to <position>] [--public-key <base64 SPKI>]
      verify the event log against its signed checkpoints; exit code 0 when it holds, 1 when not`;

export interface LogVerifyArgs {
  from?: string;
  to?: string;
  publicKey?: string;
}

/** `--from N --to M --public-key K` in any order; a string naming the fault otherwise. */
export function parseLogVerifyArgs(argv: readonly string[]): LogVerifyArgs | string {
  const args: LogVerifyArgs = {};
  const names: Record<string, keyof LogVerifyArgs> = {
    '--from': 'from',
    '--to': 'to',
    '--public-key': 'publicKey',
  };
  for (let i = 0; i < argv.length; i += 2) {
    const name = names[argv[i]];
    const value = argv[i + 1];
    if (!name) return `unknown option ${argv[i]}`;
    if (value === undefined || value.startsWith('--')) return `${argv[i]} needs a value`;
    if (args[name] !== undefined) return `${argv[i]} given twice`;
    args[name] = value;
  }
  return args;
}

/**
 * The CLI's `log verify`: opens the configured event store, checks every checkpoint against the
 * key derived from the master key (or the public key an auditor was given) and prints the report
 * as JSON. 0 when the log holds, 1 when it does not.
 */
export async function runLogVerify(
  config: CustodianConfig,
  args: LogVerifyArgs,
  print: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Promise<{ code: 0 | 1; report: IntegrityReport }> {
  const publicKey = args.publicKey ?? (await publicKeyFromMaster(config));
  const store = createEventStore(config);
  try {
    const report = await verifyLogIntegrity(store, { publicKey, from: args.from, to: args.to });
    print(JSON.stringify(report, null, 2));
    return { code: report.ok ? 0 : 1, report };
  } finally {
    await store.close();
  }
}

async function publicKeyFromMaster(config: CustodianConfig): Promise<string> {
  // Never generate a key here: a new one would fail every checkpoint rather than verify it.
  if (config.masterKey === undefined && !existsSync(join(config.dataDir, MASTER_KEY_FILE_NAME)))
    throw new Error(
      'no master key: set CUSTODIAN_MASTER_KEY, use the data directory holding master.key, or give --public-key',
    );
  const { key } = loadMasterKey({
    masterKey: config.masterKey,
    dataDir: config.dataDir,
    embedded: config.eventStore.kind === 'sqlite',
  });
  // The signing key outlives a master-key rotation, kept wrapped in the key store.
  const keyStore = createKeyStore(config);
  try {
    const seed = await resolveDurableKey(keyStore, key, INTEGRITY_SIGNING_PURPOSE);
    return checkpointSignerFromKey(seed).publicKey;
  } finally {
    await keyStore.close();
  }
}
