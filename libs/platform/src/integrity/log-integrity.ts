import {
  checkpointSignerFromKey,
  INTEGRITY_SIGNING_PURPOSE,
  KEY_STORE,
  resolveDurableKey,
  type CheckpointSigner,
  type KeyStore,
} from '@custodian/crypto';
import { EVENT_STORE, type EventStore } from '@custodian/event-store';
import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '../clock/clock';
import { CUSTODIAN_CONFIG } from '../config/config.module';
import type { CustodianConfig } from '../config/custodian-config';
import { MASTER_KEY } from '../vault/vault.module';
import { CheckpointSealer, readCheckpoints } from './checkpoint-sealer';

/** The checkpoints' Ed25519 seed: a durable key, so a master-key rotation keeps the public key. */
export const INTEGRITY_SIGNING_KEY = Symbol.for('custodian.IntegritySigningKey');

export const integritySigningKeyProvider = {
  provide: INTEGRITY_SIGNING_KEY,
  inject: [KEY_STORE, MASTER_KEY],
  useFactory: (keyStore: KeyStore, master: Buffer) =>
    resolveDurableKey(keyStore, master, INTEGRITY_SIGNING_PURPOSE),
};
import type { CheckpointData } from './log-hash';
import { verifyLogIntegrity, type IntegrityReport } from './verify-log';

export interface CheckpointView extends CheckpointData {
  /** Where the checkpoint event itself is in the log. */
  position: string;
  eventId: string;
}

export interface CheckpointPage {
  algorithm: 'Ed25519';
  /** Base64 SPKI DER: the key every checkpoint must be signed with. */
  publicKey: string;
  checkpoints: CheckpointView[];
  /** The `after` of the next page; null at the end. */
  nextCursor: string | null;
}

/**
 * Tamper evidence for the lead's callers (the API, the reports, the CLI): verify the log or a
 * range, list the checkpoints, seal now. The signing key is derived from the master key, and
 * kept wrapped in the key store once the master key is rotated (`INTEGRITY_SIGNING_KEY`).
 */
@Injectable()
export class LogIntegrity {
  readonly signer: CheckpointSigner;
  readonly sealer: CheckpointSealer;

  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Inject(INTEGRITY_SIGNING_KEY) signingKey: Buffer,
    @Inject(CUSTODIAN_CONFIG) private readonly config: CustodianConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.signer = checkpointSignerFromKey(signingKey);
    this.sealer = new CheckpointSealer(events, this.signer);
  }

  /** `{ ok, checkedEvents, checkpoints, firstProblem?, unsealed, … }` for the log or a range. */
  verifyLogIntegrity(range: { from?: string; to?: string } = {}): Promise<IntegrityReport> {
    return verifyLogIntegrity(this.events, { publicKey: this.signer.publicKey, ...range });
  }

  /** Seals every full range, and with `tail` the rest too; how many checkpoints were appended. */
  sealNow(tail = true, signal?: AbortSignal): Promise<number> {
    return this.sealer.seal({
      every: this.config.integrity.checkpointEvery,
      tail,
      now: () => this.clock.now(),
      signal,
    });
  }

  async checkpoints(after: number | undefined, limit: number): Promise<CheckpointPage> {
    const all = await readCheckpoints(this.events);
    const start = after === undefined ? 0 : after + 1;
    const page = all.slice(start, start + limit);
    return {
      algorithm: 'Ed25519',
      publicKey: this.signer.publicKey,
      checkpoints: page.map((event) => ({
        ...(event.data as unknown as CheckpointData),
        position: event.position,
        eventId: event.id,
      })),
      nextCursor: start + limit < all.length ? String(start + limit - 1) : null,
    };
  }
}
