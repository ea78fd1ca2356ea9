import { isRole, type Role } from '@custodian/policy';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  existsSync,
  fchmodSync,
  mkdirSync,
  openSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { dirname } from 'node:path';

/**
 * An entry of the actors file. A `key` actor (a service, or a person using an API key) signs in
 * with its API key only; a `person` signs in with a JWT whose `sub` is their id, never with a
 * key. A token can therefore never become a key actor, nor a key a person.
 */
export type Actor = (
  | {
      kind: 'key';
      id: string;
      roles: Role[];
      /** SHA-256 (hex) of the actor's API key; the key itself is never kept in memory. */
      apiKeySha256: string;
    }
  | { kind: 'person'; id: string; roles: Role[] }
) & {
  /** `"disabled": true` in the file: kept for the record, but signs in no more. */
  disabled?: true;
};

/** The actors file is missing, unreadable or malformed; the app cannot start. */
export class ActorsFileError extends Error {
  override readonly name = 'ActorsFileError';
}

const ACTOR_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/**
 * Reads `{ "actors": [ { "id", "roles", "apiKey" | "apiKeySha256" } | { "id", "roles",
 * "kind": "person" } ] }`. Every problem names the actor and field at fault, never a key.
 */
export function parseActorsFile(text: string, path: string): Actor[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ActorsFileError(`${path}: not valid JSON`);
  }
  const list = (parsed as { actors?: unknown })?.actors;
  if (!Array.isArray(list) || list.length === 0) {
    throw new ActorsFileError(`${path}: must hold { "actors": [ ... ] } with at least one actor`);
  }
  const seenIds = new Set<string>();
  const seenKeys = new Set<string>();
  return list.map((entry: unknown, i) => {
    const where = `${path}: actors[${i}]`;
    const { id, roles, apiKey, apiKeySha256, kind, disabled } = (entry ?? {}) as Record<
      string,
      unknown
    >;
    if (typeof id !== 'string' || !ACTOR_ID.test(id))
      throw new ActorsFileError(`${where}.id must be 1-64 letters, digits, ".", "_" or "-"`);
    if (seenIds.has(id)) throw new ActorsFileError(`${where}.id "${id}" appears twice`);
    seenIds.add(id);
    if (!Array.isArray(roles) || roles.length === 0 || !roles.every(isRole)) {
      throw new ActorsFileError(`${where}.roles must be a non-empty list of known roles`);
    }
    const unique = [...new Set(roles)] as Role[];
    if (disabled !== undefined && typeof disabled !== 'boolean')
      throw new ActorsFileError(`${where}.disabled must be true or false`);
    const off = disabled === true ? { disabled: true as const } : {};
    if (kind !== undefined && kind !== 'key' && kind !== 'person')
      throw new ActorsFileError(`${where}.kind must be "key" (the default) or "person"`);
    if (kind === 'person') {
      // People sign in with tokens only: a key beside would be a second way in as them.
      if (apiKey !== undefined || apiKeySha256 !== undefined)
        throw new ActorsFileError(
          `${where} is a person (signs in with a JWT) and may not have an API key`,
        );
      return { kind: 'person', id, roles: unique, ...off };
    }
    let hash: string;
    if (typeof apiKey === 'string' && apiKey.length >= 24) hash = sha256Hex(apiKey);
    else if (typeof apiKeySha256 === 'string' && SHA256_HEX.test(apiKeySha256.toLowerCase()))
      hash = apiKeySha256.toLowerCase();
    else
      throw new ActorsFileError(
        `${where} needs "apiKey" (at least 24 characters) or "apiKeySha256" (64 hex digits)`,
      );
    if (seenKeys.has(hash))
      throw new ActorsFileError(`${where} shares its API key with another actor`);
    seenKeys.add(hash);
    return { kind: 'key', id, roles: unique, apiKeySha256: hash, ...off };
  });
}

export function loadActors(path: string): Actor[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ActorsFileError(
      `${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  return parseActorsFile(text, path);
}

/**
 * Embedded mode with no actors file: create one holding a single admin actor (who also holds
 * the dpo role, so one person can try every route) with a fresh key, readable by its owner only.
 * Returns true when it created the file.
 */
export function ensureEmbeddedActorsFile(path: string): boolean {
  if (existsSync(path)) return false;
  if (mkdirSync(dirname(path), { recursive: true, mode: 0o700 }) !== undefined)
    chmodSync(dirname(path), 0o700);
  const actors = {
    actors: [
      { id: 'admin', roles: ['admin', 'dpo'], apiKey: randomBytes(32).toString('base64url') },
    ],
  };
  // 0600 whatever the umask: start-up refuses an actors file group or others may read or write.
  const fd = openSync(path, 'wx', 0o600);
  try {
    fchmodSync(fd, 0o600);
    writeFileSync(fd, `${JSON.stringify(actors, null, 2)}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}
