import type { Position } from '@eventstore/db-client';
import { InvalidEventStoreInputError } from '../event-store.errors';

/** ESDB log positions are unsigned 64-bit; this value means "no position" on the wire. */
export const MAX_U64 = 2n ** 64n - 1n;

// Canonical decimal only (no leading zeros), so one position has exactly one string.
const ENCODED = /^(0|[1-9]\d{0,19})\/(0|[1-9]\d{0,19})$/;

/** `{ commit, prepare }` as the opaque port position `"<commit>/<prepare>"`, in decimal. */
export function encodePosition(position: Position): string {
  const { commit, prepare } = position;
  if (!isRealPosition(position)) throw new RangeError(`not a log position: ${commit}/${prepare}`);
  return `${commit}/${prepare}`;
}

/** The inverse of `encodePosition`; anything else is a caller error. */
export function decodePosition(encoded: unknown): Position {
  const match = typeof encoded === 'string' ? ENCODED.exec(encoded) : null;
  if (match) {
    const position = { commit: BigInt(match[1]), prepare: BigInt(match[2]) };
    if (isRealPosition(position)) return position;
  }
  throw new InvalidEventStoreInputError(
    'position',
    `"${String(encoded)}" is not a position of this store`,
  );
}

/** Log order: commit position first, then prepare position. */
export function comparePositions(a: Position, b: Position): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}

/** False for the negative and max-u64 sentinels the server uses for "unknown". */
export function isRealPosition(position: Position | undefined): position is Position {
  return (
    position !== undefined &&
    position.commit >= 0n &&
    position.prepare >= 0n &&
    position.commit < MAX_U64 &&
    position.prepare < MAX_U64
  );
}
