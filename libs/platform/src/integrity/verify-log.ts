import { checkpointPublicKey, verifyCheckpointSignature } from '@custodian/crypto';
import type { EventStore, RecordedEvent } from '@custodian/event-store';
import { readCheckpoints } from './checkpoint-sealer';
import {
  ChainHasher,
  decodeDigests,
  decodePositions,
  GENESIS_CHAIN,
  shortDigest,
  signedBytes,
  type CheckpointData,
  type SealedLeaf,
} from './log-hash';
import { storedLogOf } from './stored-log';

/** What was found wrong, and where: the log position of the event at fault. */
export type ProblemKind = 'modified' | 'deleted' | 'inserted' | 'reordered';

export interface IntegrityProblem {
  kind: ProblemKind;
  position: string;
  /** The checkpoint whose seal the problem breaks. */
  checkpoint: number;
  detail: string;
}

export interface IntegrityReport {
  ok: boolean;
  /** Events whose stored bytes were hashed and compared with a checkpoint. */
  checkedEvents: number;
  /** Checkpoints whose signature and link to the previous one were checked (all of them). */
  checkpoints: number;
  /** Checkpoints whose ranges were rehashed (those meeting `from`..`to`). */
  rangesChecked: number;
  /** The problem at the earliest position, if any. */
  firstProblem?: IntegrityProblem;
  /** The first problem of each broken seal, in log order (at most 100). */
  problems: IntegrityProblem[];
  /** Events after the last checkpoint: nothing vouches for them yet. */
  unsealed: { afterPosition: string | null; events: number };
  publicKey: string;
  range: { from: string | null; to: string | null };
}

export interface VerifyOptions {
  /** The key every checkpoint must be signed with (base64 SPKI DER), e.g. derived from the master key. */
  publicKey: string;
  /** Check only checkpoints whose ranges meet positions `from`..`to` (inclusive). */
  from?: string;
  to?: string;
  /** Events read per page (default 5000). */
  pageSize?: number;
  signal?: AbortSignal;
}

const MAX_PROBLEMS = 100;
const UNSEALED_CAP = 10_000_000;

/**
 * Verifies the log against its checkpoints: each checkpoint's signature and its link to the one
 * before, then for every checkpoint meeting the range, the stored bytes of the events it sealed.
 * A seal that does not hold is explained by comparing the events found with the short digests
 * and positions the checkpoint kept: the first event modified, deleted, inserted or moved.
 */
export async function verifyLogIntegrity(
  store: EventStore,
  options: VerifyOptions,
): Promise<IntegrityReport> {
  const key = checkpointPublicKey(options.publicKey);
  if (!key) throw new Error('the public key is not an Ed25519 key (base64 SPKI DER)');
  const log = storedLogOf(store);
  const pageSize = options.pageSize ?? 5000;
  const checkpoints = await readCheckpoints(store);
  const problems: IntegrityProblem[] = [];
  let checkedEvents = 0;
  let rangesChecked = 0;

  let previous: CheckpointData | null = null;
  // Where every checkpoint sealed each digest: built only when a seal is broken.
  let sealed: Map<string, string> | undefined;
  for (const [index, event] of checkpoints.entries()) {
    if (options.signal?.aborted) throw new Error('verification stopped');
    const data = event.data as unknown as CheckpointData;
    const sealProblem = checkSignature(event, data, index, key, options.publicKey);
    if (sealProblem) {
      problems.push(sealProblem);
      previous = data;
      continue;
    }
    const linkProblem = checkLink(event, data, index, previous);
    if (linkProblem) problems.push(linkProblem);
    if (meets(store, data, options)) {
      rangesChecked++;
      const found = await rehash(log.leaves.bind(log), data, pageSize);
      checkedEvents += found.length;
      const compare = (a: string, b: string) => store.comparePositions(a, b);
      const elsewhere = (digest: string) => (sealed ??= sealedPositions(checkpoints)).get(digest);
      const problem = explain(found, data, index, log.encoding, compare, elsewhere);
      if (problem) problems.push(problem);
    }
    previous = data;
  }

  problems.sort((a, b) => store.comparePositions(a.position, b.position));
  const afterPosition = previous?.toPosition ?? null;
  const unsealed = await store.countEventsAfter(afterPosition ?? undefined, UNSEALED_CAP);
  return {
    ok: problems.length === 0,
    checkedEvents,
    checkpoints: checkpoints.length,
    rangesChecked,
    ...(problems.length > 0 ? { firstProblem: problems[0] } : {}),
    problems: problems.slice(0, MAX_PROBLEMS),
    unsealed: { afterPosition, events: unsealed },
    publicKey: options.publicKey,
    range: { from: options.from ?? null, to: options.to ?? null },
  };
}

function problemAt(event: RecordedEvent, index: number) {
  return (kind: ProblemKind, detail: string): IntegrityProblem => ({
    kind,
    position: event.position,
    checkpoint: index,
    detail,
  });
}

/** The checkpoint event itself: a checkpoint, signed by the expected key. */
function checkSignature(
  event: RecordedEvent,
  data: CheckpointData,
  index: number,
  key: NonNullable<ReturnType<typeof checkpointPublicKey>>,
  publicKey: string,
): IntegrityProblem | null {
  const problem = problemAt(event, index);
  if (event.type !== 'LogCheckpointSealed' || typeof data !== 'object' || data === null)
    return problem('inserted', 'an event that is not a checkpoint in the checkpoint stream');
  if (data.publicKey !== publicKey)
    return problem('modified', 'checkpoint signed with another key than the expected one');
  const { signature, ...unsigned } = data;
  if (
    typeof signature !== 'string' ||
    !verifyCheckpointSignature(key, signedBytes(unsigned), signature)
  )
    return problem('modified', 'checkpoint signature does not verify');
  return null;
}

/** Linked to the checkpoint before it: none is missing or out of order. */
function checkLink(
  event: RecordedEvent,
  data: CheckpointData,
  index: number,
  previous: CheckpointData | null,
): IntegrityProblem | null {
  const problem = problemAt(event, index);
  if (data.sequence !== index)
    return problem('deleted', `checkpoint ${index} is missing (found sequence ${data.sequence})`);
  const expectedPrevious = previous?.chain ?? GENESIS_CHAIN;
  if (
    data.previousChain !== expectedPrevious ||
    data.fromPosition !== (previous?.toPosition ?? null)
  )
    return problem('deleted', 'checkpoint does not follow the one before it');
  return null;
}

/** Whether the checkpoint's range (fromPosition, toPosition] meets [from, to]. */
function meets(store: EventStore, data: CheckpointData, options: VerifyOptions): boolean {
  if (options.to !== undefined && data.fromPosition !== null)
    if (store.comparePositions(data.fromPosition, options.to) >= 0) return false;
  if (options.from !== undefined && store.comparePositions(data.toPosition, options.from) < 0)
    return false;
  return true;
}

/** Digest to position, over every checkpoint that lists its events. */
function sealedPositions(checkpoints: readonly RecordedEvent[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const event of checkpoints) {
    const data = event.data as unknown as CheckpointData;
    const positions = decodePositions(data?.positions);
    const digests = decodeDigests(data?.digests, data?.events);
    if (!positions || !digests || positions.length !== digests.length) continue;
    positions.forEach((position, i) => map.set(digests[i], position));
  }
  return map;
}

/** The events now stored in the checkpoint's range, hashed. */
async function rehash(
  leaves: (
    after: string | undefined,
    upTo: string | undefined,
    max: number,
  ) => Promise<SealedLeaf[]>,
  data: CheckpointData,
  pageSize: number,
): Promise<SealedLeaf[]> {
  const found: SealedLeaf[] = [];
  let after = data.fromPosition ?? undefined;
  for (;;) {
    const page = await leaves(after, data.toPosition, pageSize);
    for (const leaf of page) found.push(leaf);
    if (page.length < pageSize) return found;
    after = page[page.length - 1].position;
    // Let other work run between pages of a long verification.
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Null when the range still hashes to the checkpoint's chain; else the first event at fault. */
function explain(
  found: readonly SealedLeaf[],
  data: CheckpointData,
  index: number,
  encoding: string,
  compare: (a: string, b: string) => number,
  elsewhere: (digest: string) => string | undefined,
): IntegrityProblem | null {
  const chain = new ChainHasher(data.previousChain);
  for (const { position, leaf } of found) chain.add(position, leaf);
  if (data.encoding === encoding && chain.digest() === data.chain && found.length === data.events)
    return null;
  const problem = (kind: ProblemKind, position: string, detail: string): IntegrityProblem => ({
    kind,
    position,
    checkpoint: index,
    detail,
  });
  if (data.encoding !== encoding)
    return problem(
      'modified',
      data.toPosition,
      `sealed with encoding ${data.encoding}; this store reads as ${encoding}`,
    );
  const positions = decodePositions(data.positions);
  const digests = decodeDigests(data.digests, data.events);
  if (!positions || !digests || positions.length !== data.events)
    return problem('modified', data.toPosition, 'the checkpoint does not list its events');
  const expected = positions.map((position, i) => ({ position, digest: digests[i] }));
  const actual = found.map((f) => ({ position: f.position, digest: shortDigest(f.leaf) }));
  const expectedAt = new Map(expected.map((e, i) => [e.digest, i]));
  const actualAt = new Map(actual.map((a, i) => [a.digest, i]));
  const length = Math.max(expected.length, actual.length);
  for (let i = 0; i < length; i++) {
    const e = expected[i];
    const a = actual[i];
    if (e && a && e.position === a.position && e.digest === a.digest) continue;
    if (!a) return problem('deleted', e.position, 'a sealed event is missing');
    if (!e) return problem('inserted', a.position, 'an event the checkpoint did not seal');
    const eFound = actualAt.get(e.digest);
    const aSealed = expectedAt.get(a.digest);
    const first = compare(a.position, e.position) < 0 ? a.position : e.position;
    if (e.digest === a.digest)
      return problem('reordered', first, 'a sealed event is stored at another position');
    if (eFound !== undefined && aSealed !== undefined)
      return problem('reordered', a.position, 'sealed events are stored in another order');
    if (eFound === undefined && aSealed !== undefined)
      return problem('deleted', e.position, 'a sealed event is missing');
    if (eFound !== undefined && aSealed === undefined)
      return problem('inserted', a.position, 'an event the checkpoint did not seal');
    const moved = elsewhere(a.digest);
    if (moved !== undefined && moved !== a.position)
      return problem('reordered', a.position, `the event sealed at ${moved} is stored here`);
    if (e.position === a.position)
      return problem('modified', a.position, 'the stored bytes differ from those sealed');
    // Neither is known to the other: one was replaced by the other at a different position.
    return problem('modified', first, 'the stored bytes differ from those sealed');
  }
  return problem('modified', data.toPosition, 'the range does not hash to the sealed chain');
}
