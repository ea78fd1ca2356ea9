/**
 * The KeyStore port: each data subject's data key (DEK), wrapped by the master key (KEK), kept
 * outside the immutable event log so that destroying it crypto-shreds every copy of the
 * subject's personal values. Adapters: embedded SQLite, MongoDB; both pass
 * `testing/key-store.contract.ts`.
 */

export interface WrappedKeyRecord {
  subjectId: string;
  /** Letters, digits, "_" and "-", at most 64 (a UUID fits). */
  keyId: string;
  /** The DEK wrapped by the KEK (`wrapKey`); useless without the master key. */
  wrappedKey: string;
  /** As `Date.toISOString()` writes it. */
  createdAt: string;
}

/** A key's new wrapping, applied only while the stored one is still `expected`. */
export interface WrappingChange {
  subjectId: string;
  expected: string;
  next: string;
}

/** What is left of a destroyed key: which key it was and when — no key material. */
export interface KeyTombstone {
  keyId: string;
  destroyedAt: string;
}

export interface KeyStore {
  /**
   * Stores the subject's key if it has none; returns the record now stored (the existing one if
   * a key was already there — first writer wins, so concurrent creators agree). Refuses (throws
   * KeyDestroyedError) if the subject's key was destroyed: a shredded subject never gets a new
   * key.
   */
  putIfAbsent(record: WrappedKeyRecord): Promise<WrappedKeyRecord>;
  get(subjectId: string): Promise<WrappedKeyRecord | null>;
  /**
   * Destroys the subject's key irrecoverably and remembers that it was destroyed (a tombstone:
   * subjectId, keyId, destroyedAt — no key material). Idempotent: destroying again returns the
   * first tombstone. Returns null if the subject never had a key.
   */
  destroy(subjectId: string, at: Date): Promise<KeyTombstone | null>;
  /** The tombstone, if the key was destroyed. */
  destroyed(subjectId: string): Promise<KeyTombstone | null>;
  /** Which of these subjects have had their key destroyed (for checks over many at once). */
  destroyedAmong(subjectIds: readonly string[]): Promise<Set<string>>;
  /**
   * The event-log position up to which every `SubjectErased` has been applied to this store
   * (its key destroyed); null when none was recorded. It is kept with the keys, so a key store
   * restored from an older backup brings back its older position and the erasures recorded
   * since are applied again (the erasure reconciler). Opaque: only the event store compares it.
   */
  erasuresAppliedThrough(): Promise<string | null>;
  /** Records that position (null forgets it: the next reconciliation reads the whole log). */
  setErasuresAppliedThrough(position: string | null): Promise<void>;
  /**
   * Up to `limit` stored keys whose subject id sorts after `after` (null: from the first), in
   * subject-id order: for re-wrapping every key under a new master key, page by page.
   */
  listKeys(after: string | null, limit: number): Promise<WrappedKeyRecord[]>;
  /** How many keys are stored (destroyed ones are not). */
  countKeys(): Promise<number>;
  /**
   * Replaces each key's wrapping if it is still `expected` (compare and set), all in one write;
   * false for a key destroyed or re-wrapped meanwhile. Never brings a destroyed key back.
   */
  replaceWrapped(changes: readonly WrappingChange[]): Promise<boolean[]>;
  /** A named value kept with the keys (the master-key rotation marker, wrapped derived keys). */
  getSetting(name: string): Promise<string | null>;
  /** Sets it; null removes it. */
  setSetting(name: string, value: string | null): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const KEY_STORE = Symbol.for('custodian.KeyStore');
