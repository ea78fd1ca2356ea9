import type { LogCheckpointSealed } from '@custodian/domain';
import { createHash, type Hash } from 'node:crypto';

/**
 * The byte encodings integrity checkpoints are computed with (docs/integrity.md). Everything
 * here works on events as the store holds them: the ciphertext, never a decrypted value.
 */

export type CheckpointData = LogCheckpointSealed['data'];

/** The chain before the first checkpoint. */
export const GENESIS_CHAIN = '0'.repeat(64);
/** Bytes of a leaf kept in a checkpoint to find the event at fault (the chain has all 32). */
export const DIGEST_BYTES = 8;

const LEAF_PREFIX = 'custodian-event/v1\n';

/** A netstring: `<UTF-8 byte length>:<text>,`. */
export function netstring(text: string): string {
  return `${Buffer.byteLength(text, 'utf8')}:${text},`;
}

/**
 * One stored event's fields in the order they are hashed: id, stream, revision (decimal), type,
 * data and metadata (the stored JSON text), recorded-at (milliseconds, decimal). The position is
 * not in the leaf but in the chain, so an event moved elsewhere is recognised as itself.
 */
export type StoredFields = readonly [
  id: string,
  stream: string,
  revision: string,
  type: string,
  data: string,
  metadata: string,
  recordedAt: string,
];

/** SHA-256 of `custodian-event/v1\n` and the netstrings of the fields, as UTF-8. */
export function leafOf(fields: StoredFields): Buffer {
  let text = LEAF_PREFIX;
  for (const field of fields) text += `${Buffer.byteLength(field, 'utf8')}:${field},`;
  return createHash('sha256').update(text, 'utf8').digest();
}

/** One event of a range, hashed: its position and leaf. */
export interface SealedLeaf {
  position: string;
  leaf: Buffer;
}

/**
 * The chain of one checkpoint: SHA-256 over the previous chain (32 bytes) then, for each event
 * in log order, the netstring of its position (UTF-8) and its 32-byte leaf.
 */
export class ChainHasher {
  private readonly hash: Hash;
  constructor(previousChain: string) {
    this.hash = createHash('sha256').update(Buffer.from(previousChain, 'hex'));
  }
  add(position: string, leaf: Buffer): void {
    this.hash.update(netstring(position), 'utf8').update(leaf);
  }
  digest(): string {
    return this.hash.digest('hex');
  }
}

const INTEGER = /^[1-9]\d{0,14}$/;

/** Runs `[first, count]` when every position is an integer (SQLite), else the list. */
export function encodePositions(positions: readonly string[]): CheckpointData['positions'] {
  if (!positions.every((p) => INTEGER.test(p))) return { list: [...positions] };
  const runs: Array<[string, number]> = [];
  let last = -2;
  for (const text of positions) {
    const position = Number(text);
    const run = runs[runs.length - 1];
    if (run && position === last + 1) run[1]++;
    else runs.push([text, 1]);
    last = position;
  }
  return { runs };
}

/** The inverse of `encodePositions`; null when malformed. */
export function decodePositions(encoded: CheckpointData['positions'] | undefined): string[] | null {
  if (!encoded || typeof encoded !== 'object') return null;
  if ('list' in encoded) {
    return Array.isArray(encoded.list) && encoded.list.every((p) => typeof p === 'string')
      ? [...encoded.list]
      : null;
  }
  if (!Array.isArray(encoded.runs)) return null;
  const positions: string[] = [];
  for (const run of encoded.runs) {
    if (!Array.isArray(run) || typeof run[0] !== 'string' || !INTEGER.test(run[0])) return null;
    const [first, count] = run;
    if (!Number.isSafeInteger(count) || count < 1 || positions.length + count > 10_000_000)
      return null;
    const start = Number(first);
    for (let i = 0; i < count; i++) positions.push(String(start + i));
  }
  return positions;
}

/** The first `DIGEST_BYTES` of each leaf, concatenated, in base64. */
export function encodeDigests(leaves: readonly Buffer[]): string {
  return Buffer.concat(leaves.map((leaf) => leaf.subarray(0, DIGEST_BYTES))).toString('base64');
}

/** The digests as hex strings, one per event; null when the length does not fit `events`. */
export function decodeDigests(encoded: unknown, events: number): string[] | null {
  if (typeof encoded !== 'string') return null;
  const bytes = Buffer.from(encoded, 'base64');
  if (bytes.length !== events * DIGEST_BYTES) return null;
  const digests: string[] = [];
  for (let i = 0; i < events; i++)
    digests.push(bytes.subarray(i * DIGEST_BYTES, (i + 1) * DIGEST_BYTES).toString('hex'));
  return digests;
}

/** A leaf's short digest, as `decodeDigests` gives them. */
export const shortDigest = (leaf: Buffer): string => leaf.subarray(0, DIGEST_BYTES).toString('hex');

/**
 * The bytes a checkpoint's signature covers: the UTF-8 of a JSON array of its fields in a fixed
 * order, so an auditor rebuilds them from the stored checkpoint in any language.
 */
export function signedBytes(data: Omit<CheckpointData, 'signature'>): Buffer {
  return Buffer.from(
    JSON.stringify([
      'custodian-checkpoint/v1',
      data.sequence,
      data.fromPosition,
      data.toPosition,
      data.events,
      data.encoding,
      data.previousChain,
      data.chain,
      data.digests,
      data.positions,
      data.sealedAt,
      data.algorithm,
      data.publicKey,
    ]),
    'utf8',
  );
}
