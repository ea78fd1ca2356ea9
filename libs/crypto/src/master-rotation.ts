/**
 * Rotating the master key: every data key is re-wrapped under the new key-encryption key,
 * page by page, resumably, while the app goes on reading and writing.
 *
 * While a rotation runs, the key store holds a marker (`master_key_rotation`): both keys'
 * fingerprints (never a key), where the re-wrapping got to, and each KEK wrapped under the other.
 * A process holding either master key can therefore open every data key, wrapped under the old
 * or the new one: the app keeps working without a restart, and new keys are wrapped under the
 * new KEK at once. `finishRotation` (run once every process has the new key) re-wraps what was
 * left under the old KEK and removes the marker: from then on the old key opens nothing.
 *
 * Keys derived from the master key whose values must outlive it are kept wrapped in the key
 * store instead (the blind-index key: the index holds HMACs under it, which a new key could not
 * recompute without decrypting every value). The first rotation stores it, wrapped.
 */
import { createHmac } from 'node:crypto';
import { DecryptionError, MasterKeyError } from './crypto.errors';
import { INTEGRITY_SIGNING_PURPOSE } from './checkpoint-signing';
import { deriveKey, KEY_PURPOSES, keyWrapAad, unwrapKey, wrapKey } from './envelope';
import type { KeyStore, WrappedKeyRecord, WrappingChange } from './key-store.port';

export const ROTATION_MARKER = 'master_key_rotation';
/** The blind-index key, wrapped by the KEK, once a rotation has separated it from the master. */
export const WRAPPED_BLIND_INDEX_KEY = 'blind_index_key';

/** The key webhook signing secrets are sealed under before they reach the log. */
export const WEBHOOK_SECRETS_PURPOSE = 'webhook-secrets';

/**
 * `deriveKey` purposes whose keys must outlive a master key: what they protect or sign is kept
 * (the blind index's HMACs). Each is resolved with `resolveDurableKey`, and the first rotation
 * stores it wrapped in the key store. A feature deriving such a key adds its purpose here.
 */
export const DURABLE_KEY_PURPOSES: readonly string[] = [
  KEY_PURPOSES.blindIndex,
  // Checkpoints signed before a rotation must still verify under the same public key.
  INTEGRITY_SIGNING_PURPOSE,
  // Webhook secrets sealed in the log before a rotation must still open.
  WEBHOOK_SECRETS_PURPOSE,
];

const NEW_KEK_AAD = 'custodian:rotation:new-kek';
const OLD_KEK_AAD = 'custodian:rotation:old-kek';

/** Where a durable derived key is kept once wrapped; the blind-index key under its first name. */
function durableSetting(purpose: string): string {
  return purpose === KEY_PURPOSES.blindIndex
    ? WRAPPED_BLIND_INDEX_KEY
    : `durable_key_${purpose.replace(/[^a-z0-9]/g, '_')}`.slice(0, 64);
}

export function durableKeyAad(purpose: string): string {
  return `custodian:durable-key:${purpose}`;
}

export interface RotationMarker {
  format: 1;
  /** `kekFingerprint` of each master key's KEK: which keys these are, revealing nothing. */
  oldFingerprint: string;
  newFingerprint: string;
  startedAt: string;
  /** `rewrapped` once the pass reached the last key; `finishRotation` still has to run. */
  phase: 'rewrapping' | 'rewrapped';
  /** The last subject id the pass has re-wrapped through (subject-id order). */
  lastSubjectId: string | null;
  /** Keys re-wrapped so far. */
  rewrapped: number;
  /** The new KEK wrapped under the old one, and the old under the new: either master opens both. */
  newKekUnderOld: string;
  oldKekUnderNew: string;
}

/** A short, one-way fingerprint of a KEK (HMAC under it): names a key without revealing it. */
export function kekFingerprint(kek: Buffer): string {
  return createHmac('sha256', kek)
    .update('custodian/kek-fingerprint/v1')
    .digest('hex')
    .slice(0, 16);
}

export function masterKeyFingerprint(master: Buffer): string {
  return kekFingerprint(deriveKey(master, KEY_PURPOSES.keyWrap));
}

export async function readRotationMarker(store: KeyStore): Promise<RotationMarker | null> {
  const text = await store.getSetting(ROTATION_MARKER);
  if (text === null) return null;
  const marker = JSON.parse(text) as RotationMarker;
  if (marker?.format !== 1)
    throw new MasterKeyError('the key store holds a rotation marker this build does not read');
  return marker;
}

/** The other KEK of a rotation in progress, opened with this one; null when there is none. */
export function otherKek(marker: RotationMarker | null, kek: Buffer): Buffer | null {
  if (!marker) return null;
  const fingerprint = kekFingerprint(kek);
  if (fingerprint === marker.oldFingerprint)
    return unwrapKey(kek, marker.newKekUnderOld, NEW_KEK_AAD);
  if (fingerprint === marker.newFingerprint)
    return unwrapKey(kek, marker.oldKekUnderNew, OLD_KEK_AAD);
  return null;
}

/** The KEK new data keys are wrapped under: the new one while a rotation runs. */
export function wrappingKek(marker: RotationMarker | null, kek: Buffer): Buffer {
  if (marker && kekFingerprint(kek) === marker.oldFingerprint) return otherKek(marker, kek)!;
  return kek;
}

/**
 * A durable derived key (`DURABLE_KEY_PURPOSES`): the one stored wrapped in the key store (after
 * a rotation), else derived from the master key. A master key that opens neither the stored key
 * nor, through a rotation marker, the KEK it is wrapped under is not this key store's: refused,
 * naming fingerprints.
 */
export async function resolveDurableKey(
  store: KeyStore,
  master: Buffer,
  purpose: string,
): Promise<Buffer> {
  if (!DURABLE_KEY_PURPOSES.includes(purpose))
    throw new MasterKeyError(`"${purpose}" is not listed in DURABLE_KEY_PURPOSES`);
  const stored = await store.getSetting(durableSetting(purpose));
  if (stored === null) return deriveKey(master, purpose);
  const kek = deriveKey(master, KEY_PURPOSES.keyWrap);
  const opened = openWithAny(stored, durableKeyAad(purpose), [
    kek,
    otherKek(await readRotationMarker(store), kek),
  ]);
  if (opened) return opened;
  throw new MasterKeyError(
    `the configured master key (fingerprint ${kekFingerprint(kek)}) does not open this key store: ` +
      'the master key was rotated; configure the current one',
  );
}

/** The blind-index key (see `resolveDurableKey`). */
export function resolveBlindIndexKey(store: KeyStore, master: Buffer): Promise<Buffer> {
  return resolveDurableKey(store, master, KEY_PURPOSES.blindIndex);
}

export interface RotationProgress {
  /** Keys looked at so far (re-wrapped or already under the new key). */
  done: number;
  /** Keys in the store when the pass began. */
  total: number;
}

export interface RotationOptions {
  /** Keys per page: each page is one write and one marker update. */
  pageSize?: number;
  /** Pause between pages, to leave the store to the app on a busy system. */
  pauseMs?: number;
  onProgress?: (progress: RotationProgress) => void;
  now?: () => Date;
}

export interface RotationResult {
  resumed: boolean;
  /** Keys re-wrapped by this run. */
  rewrapped: number;
  /** Keys already under the new KEK (re-wrapped by an interrupted run, or created since). */
  alreadyNew: number;
  total: number;
}

/**
 * Re-wraps every data key from `oldMaster`'s KEK to `newMaster`'s, starting a rotation or
 * resuming the one the marker records (the same two keys, or it refuses). Ends in phase
 * `rewrapped`: every process must then be given the new key before `finishRotation`.
 */
export async function rotateMasterKey(
  store: KeyStore,
  oldMaster: Buffer,
  newMaster: Buffer,
  options: RotationOptions = {},
): Promise<RotationResult> {
  const oldKek = deriveKey(oldMaster, KEY_PURPOSES.keyWrap);
  const newKek = deriveKey(newMaster, KEY_PURPOSES.keyWrap);
  const oldFingerprint = kekFingerprint(oldKek);
  const newFingerprint = kekFingerprint(newKek);
  if (oldFingerprint === newFingerprint)
    throw new MasterKeyError('the new master key is the configured one: nothing to rotate');
  let marker = await readRotationMarker(store);
  const resumed = marker !== null;
  if (marker) {
    if (marker.oldFingerprint !== oldFingerprint || marker.newFingerprint !== newFingerprint)
      throw new MasterKeyError(
        `a rotation from ${marker.oldFingerprint} to ${marker.newFingerprint} is under way; ` +
          `these keys are ${oldFingerprint} and ${newFingerprint}: resume it with the same keys`,
      );
  } else {
    // Durable derived keys must outlive the old master: opened now (which also proves the old
    // key is this store's), they are stored wrapped under the new KEK before any key moves.
    const durable = await Promise.all(
      DURABLE_KEY_PURPOSES.map(async (purpose) => ({
        purpose,
        key: await resolveDurableKey(store, oldMaster, purpose),
      })),
    );
    marker = {
      format: 1,
      oldFingerprint,
      newFingerprint,
      startedAt: (options.now ?? (() => new Date()))().toISOString(),
      phase: 'rewrapping',
      lastSubjectId: null,
      rewrapped: 0,
      newKekUnderOld: wrapKey(oldKek, newKek, NEW_KEK_AAD),
      oldKekUnderNew: wrapKey(newKek, oldKek, OLD_KEK_AAD),
    };
    await store.setSetting(ROTATION_MARKER, JSON.stringify(marker));
    for (const { purpose, key } of durable)
      await store.setSetting(durableSetting(purpose), wrapKey(newKek, key, durableKeyAad(purpose)));
  }
  const current = marker;
  const total = await store.countKeys();
  const counts = { rewrapped: 0, alreadyNew: 0 };
  // Keys before the cursor were done by the interrupted run: counted as done for the progress.
  let done = current.lastSubjectId === null ? 0 : Math.min(current.rewrapped, total);
  await rewrapAll(store, oldKek, newKek, current.lastSubjectId, options, async (page, stats) => {
    counts.rewrapped += stats.rewrapped;
    counts.alreadyNew += stats.alreadyNew;
    current.lastSubjectId = page[page.length - 1].subjectId;
    current.rewrapped += stats.rewrapped + stats.alreadyNew;
    await store.setSetting(ROTATION_MARKER, JSON.stringify(current));
    done = Math.min(done + page.length, total);
    options.onProgress?.({ done, total });
  });
  current.phase = 'rewrapped';
  await store.setSetting(ROTATION_MARKER, JSON.stringify(current));
  options.onProgress?.({ done: total, total });
  return { resumed, ...counts, total };
}

/**
 * Ends a rotation once every process runs with the new key (`newMaster` is the one now
 * configured): re-wraps any key still under the old KEK (created by a process that had not
 * seen the marker yet), checks every key opens under the new KEK, then removes the marker.
 */
export async function finishRotation(
  store: KeyStore,
  newMaster: Buffer,
  options: RotationOptions = {},
): Promise<RotationResult> {
  const marker = await readRotationMarker(store);
  if (!marker) throw new MasterKeyError('no master-key rotation is under way');
  const newKek = deriveKey(newMaster, KEY_PURPOSES.keyWrap);
  const fingerprint = kekFingerprint(newKek);
  if (fingerprint === marker.oldFingerprint)
    throw new MasterKeyError(
      `the configured master key is still the old one (${fingerprint}): configure the new one ` +
        `(${marker.newFingerprint}) in every process first, then finish`,
    );
  if (fingerprint !== marker.newFingerprint)
    throw new MasterKeyError(
      `the configured master key (${fingerprint}) is neither key of the rotation under way`,
    );
  if (marker.phase !== 'rewrapped')
    throw new MasterKeyError(
      'the re-wrapping pass has not reached the end: run `keys rotate-master` again to resume it',
    );
  const oldKek = otherKek(marker, newKek)!;
  const total = await store.countKeys();
  const counts = { rewrapped: 0, alreadyNew: 0 };
  let done = 0;
  await rewrapAll(store, oldKek, newKek, null, options, async (page, stats) => {
    counts.rewrapped += stats.rewrapped;
    counts.alreadyNew += stats.alreadyNew;
    done = Math.min(done + page.length, total);
    options.onProgress?.({ done, total });
  });
  for (const purpose of DURABLE_KEY_PURPOSES) {
    const stored = await store.getSetting(durableSetting(purpose));
    if (stored !== null && !openWithAny(stored, durableKeyAad(purpose), [newKek]))
      throw new MasterKeyError(`the stored ${purpose} key does not open under the new master key`);
  }
  await store.setSetting(ROTATION_MARKER, null);
  return { resumed: true, ...counts, total };
}

type PageDone = (
  page: WrappedKeyRecord[],
  stats: { rewrapped: number; alreadyNew: number },
) => Promise<void>;

async function rewrapAll(
  store: KeyStore,
  oldKek: Buffer,
  newKek: Buffer,
  after: string | null,
  options: RotationOptions,
  pageDone: PageDone,
): Promise<void> {
  const pageSize = options.pageSize ?? 500;
  let cursor = after;
  for (;;) {
    const page = await store.listKeys(cursor, pageSize);
    if (page.length === 0) return;
    const stats = { rewrapped: 0, alreadyNew: 0 };
    let pending = page;
    // A key changed meanwhile (re-wrapped by another run, destroyed) is read again, once.
    for (let attempt = 0; pending.length > 0; attempt++) {
      const changes: WrappingChange[] = [];
      for (const record of pending) {
        const aad = keyWrapAad(record.subjectId, record.keyId);
        if (openWithAny(record.wrappedKey, aad, [newKek])) {
          stats.alreadyNew++;
          continue;
        }
        const dek = openWithAny(record.wrappedKey, aad, [oldKek]);
        if (!dek)
          throw new MasterKeyError(
            `the data key of subject ${record.subjectId} opens under neither master key: not rotating it`,
          );
        changes.push({
          subjectId: record.subjectId,
          expected: record.wrappedKey,
          next: wrapKey(newKek, dek, aad),
        });
      }
      const applied = changes.length > 0 ? await store.replaceWrapped(changes) : [];
      stats.rewrapped += applied.filter(Boolean).length;
      const missed = changes.filter((_, i) => !applied[i]).map((c) => c.subjectId);
      if (missed.length === 0) break;
      if (attempt > 0)
        throw new MasterKeyError(`subject ${missed[0]}'s key keeps changing: try again`);
      const again = await Promise.all(missed.map((id) => store.get(id)));
      pending = again.filter((r): r is WrappedKeyRecord => r !== null);
    }
    await pageDone(page, stats);
    cursor = page[page.length - 1].subjectId;
    if (options.pauseMs) await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
  }
}

function openWithAny(
  wrapped: string,
  aad: string,
  keks: ReadonlyArray<Buffer | null>,
): Buffer | null {
  for (const kek of keks) {
    if (!kek) continue;
    try {
      return unwrapKey(kek, wrapped, aad);
    } catch (error) {
      if (!(error instanceof DecryptionError)) throw error;
    }
  }
  return null;
}
