/** The stream the integrity checkpoints are appended to, one after another (revision = sequence). */
export const LOG_CHECKPOINT_STREAM = 'integrity-checkpoints';

/**
 * A signed seal over a range of the log: the events strictly after `fromPosition` up to and
 * including `toPosition`, hashed from their bytes as stored (ciphertext, never values) into
 * `chain`, which starts from the previous checkpoint's chain. Erasure destroys data keys,
 * never events, so a seal stays valid after it. The byte encoding is in docs/integrity.md.
 */
export interface LogCheckpointSealed {
  type: 'LogCheckpointSealed';
  data: {
    /** 0-based; equals the event's revision in `LOG_CHECKPOINT_STREAM`. */
    sequence: number;
    /** Exclusive: the previous checkpoint's `toPosition` (null for the first). */
    fromPosition: string | null;
    /** Inclusive: the last event sealed. */
    toPosition: string;
    /** How many events the range holds. */
    events: number;
    /** The stored-byte encoding the leaves were computed with (per event-store adapter). */
    encoding: string;
    /** Hex SHA-256; 64 zeros before the first checkpoint. */
    previousChain: string;
    /** Hex SHA-256 over the previous chain and each event's position and leaf, in log order. */
    chain: string;
    /** Base64 of the first 8 bytes of each event's leaf, in order: finds the event at fault. */
    digests: string;
    /** The positions sealed: runs `[first, count]` of consecutive integer positions, or a list. */
    positions: { runs: Array<[string, number]> } | { list: string[] };
    sealedAt: string;
    algorithm: 'Ed25519';
    /** Base64 SPKI DER of the signing key (derived from the master key). */
    publicKey: string;
    /** Base64 Ed25519 signature of the fields above (docs/integrity.md, "Signed bytes"). */
    signature: string;
  };
}

export type IntegrityEvent = LogCheckpointSealed;
