import { randomBytes, randomUUID } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  existsSync,
  fchmodSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { MasterKeyError } from './crypto.errors';

export interface MasterKeyOptions {
  /** Base64 of 32 random bytes (e.g. from MASTER_KEY). Empty counts as not configured. */
  masterKey?: string;
  dataDir: string;
  /** Embedded mode (no servers) may generate a key file; production must be given a key. */
  embedded: boolean;
}

export interface LoadedMasterKey {
  key: Buffer;
  /** True when this call created the key file. */
  generated: boolean;
  /** The key file used, when the key came from one. */
  file?: string;
}

const KEY_BYTES = 32;
/** The generated key's file name in the data directory. */
export const MASTER_KEY_FILE_NAME = 'master.key';

/**
 * The one master key everything else is derived from (see `deriveKey`). Losing it makes every
 * personal value unreadable, so a generated key is written durably and atomically, and errors
 * never quote the key or the file's content.
 */
export function loadMasterKey(options: MasterKeyOptions): LoadedMasterKey {
  if (options.masterKey) {
    return { key: parseKey(options.masterKey, 'the configured master key'), generated: false };
  }
  if (!options.embedded) {
    throw new MasterKeyError(
      'no master key configured: set it to base64 of 32 random bytes (e.g. `openssl rand -base64 32`). ' +
        'Only embedded mode generates one, since a production key must be managed and backed up ' +
        'outside the app',
    );
  }
  const file = join(options.dataDir, MASTER_KEY_FILE_NAME);
  if (existsSync(file)) return { key: readKeyFile(file), generated: false, file };
  // Owner-only whatever the umask (which could otherwise take more away than group and others).
  if (mkdirSync(options.dataDir, { recursive: true, mode: 0o700 }) !== undefined)
    chmodSync(options.dataDir, 0o700);
  return createKeyFile(file);
}

/**
 * Written to a private temporary file first, then linked into place: `link` fails if the name
 * exists, so two processes starting at once agree on one key, and nobody ever reads a
 * half-written file. Stored as base64 text, so it can be moved into configuration as is.
 */
function createKeyFile(file: string): LoadedMasterKey {
  const key = randomBytes(KEY_BYTES);
  const temp = `${file}.${randomUUID()}.tmp`;
  const fd = openSync(temp, 'wx', 0o600);
  try {
    fchmodSync(fd, 0o600);
    writeFileSync(fd, `${key.toString('base64')}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return { key: readKeyFile(file), generated: false, file };
  } finally {
    unlinkSync(temp);
  }
  syncDirectory(file);
  return { key, generated: true, file };
}

/** Reads a master key file (base64 of 32 bytes, as `master.key` holds it), e.g. the next key. */
export function readMasterKeyFile(file: string): Buffer {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new MasterKeyError(
      `${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  return parseKey(text, `the master key file ${file}`);
}

function readKeyFile(file: string): Buffer {
  return parseKey(readFileSync(file, 'utf8'), `the master key file ${file}`);
}

/**
 * Strict: canonical base64 of exactly 32 bytes, "=" padding optional, surrounding whitespace
 * ignored. Says what is wrong, never the value.
 */
function parseKey(text: string, source: string): Buffer {
  const trimmed = text.trim();
  const padded = trimmed.length === 43 ? `${trimmed}=` : trimmed;
  const key = Buffer.from(padded, 'base64');
  if (!/^[A-Za-z0-9+/]{43}=$/.test(padded) || key.toString('base64') !== padded) {
    throw new MasterKeyError(`${source} must be base64 of exactly 32 bytes`);
  }
  return key;
}

/** Makes the new directory entry itself durable; not possible (nor needed) on every platform. */
function syncDirectory(file: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dirname(file), 'r');
    fsyncSync(fd);
  } catch {
    // e.g. Windows cannot open a directory; the file's own fsync already happened.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
