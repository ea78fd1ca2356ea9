import { redactionStream, type RedactionMappingShredded } from '@custodian/domain';
import {
  CLOCK,
  CommandExecutor,
  CUSTODIAN_CONFIG,
  FieldVault,
  ProjectionReader,
  SingletonLease,
  type Clock,
  type CustodianConfig,
} from '@custodian/platform';
import type { RedactionMappingDocument } from '@custodian/projections';
import { READ_STORE, type ReadStore } from '@custodian/read-store';
import { Inject, Injectable, Logger, ServiceUnavailableException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';

const REDACTION_MAPPINGS = 'redaction_mappings';
/** How long a background sweep waits for the projection before it reads what is there. */
const CATCH_UP_MS = 30_000;

/** The actor recorded on the destruction of expired pseudonym mappings. */
export const REDACTION_EXPIRY_ACTOR = { id: 'system-redaction-expiry', role: 'system' };

/**
 * Makes a pseudonym mapping's bound real (issue 17): destroys the own key of every mapping whose
 * expiry has passed (`redaction-<redactionId>` in the key store), so the sealed mapping kept in
 * its `TextRedacted` record opens for nobody, then records `RedactionMappingShredded`. Driven by
 * the `redaction_mappings` projection (ids and expiry only). Runs in the one API process that
 * holds the singleton lease: when it takes the lease and every `CUSTODIAN_RETENTION_SWEEP_MS`.
 */
@Injectable()
export class RedactionExpirySweeper {
  private readonly logger = new Logger('RedactionExpiry');

  constructor(
    private readonly vault: FieldVault,
    private readonly commands: CommandExecutor,
    private readonly projections: ProjectionReader,
    @Inject(READ_STORE) private readonly reads: ReadStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CUSTODIAN_CONFIG) config: CustodianConfig,
    lease: SingletonLease,
  ) {
    lease.register({
      name: 'redactions: shred expired mappings',
      atAcquire: true,
      everyMs: config.retentionSweepMs,
      run: (signal) => this.sweepInBackground(signal),
    });
  }

  /**
   * The lease's run: waits (a while) for the projection to catch up with the log, which at
   * start-up it may not have begun to read, then sweeps; a failure is logged and the next run
   * tries again (keys are destroyed idempotently).
   */
  private async sweepInBackground(signal: AbortSignal): Promise<void> {
    try {
      // Stopping (or losing the lease) ends the wait at once.
      await untilAborted(
        signal,
        this.projections.catchUp(REDACTION_MAPPINGS, { timeoutMs: CATCH_UP_MS }),
      );
      if (!signal.aborted) await this.sweep(this.clock.now(), signal);
    } catch (error) {
      // Not built yet (an empty log at start-up) or still catching up: the next run sweeps.
      if (error instanceof ServiceUnavailableException)
        this.logger.debug(`expired mappings not shredded yet: ${error.message}`);
      else this.logger.warn(`could not shred expired mappings: ${(error as Error).message}`);
    }
  }

  /** One pass: destroys the key of each expired mapping not yet shredded; returns their ids. */
  async sweep(now = this.clock.now(), signal?: AbortSignal): Promise<string[]> {
    const collection = await this.projections.collection(REDACTION_MAPPINGS);
    const shredded: string[] = [];
    const sweepId = randomUUID();
    let cursor: string | undefined;
    do {
      const page = await this.reads.find(collection, {
        where: { status: 'sealed', expiresAt: { lte: now.toISOString() } },
        limit: 500,
        cursor,
      });
      for (const { doc } of page.items) {
        if (signal?.aborted) break;
        const { redactionId, subjectId, expiresAt } = doc as RedactionMappingDocument;
        // Key first: if recording fails, the next sweep destroys again (idempotent) and records.
        const tombstone = await this.vault.destroyRedactionKey(redactionId, now);
        const event: RedactionMappingShredded = {
          type: 'RedactionMappingShredded',
          data: {
            redactionId,
            subjectId,
            keyId: tombstone?.keyId ?? '',
            expiredAt: expiresAt,
            at: now.toISOString(),
          },
        };
        // One record per redaction however often it is swept (ids derive from the key).
        await this.commands.record(
          redactionStream(redactionId),
          [event],
          { actor: REDACTION_EXPIRY_ACTOR, requestId: sweepId, causationId: randomUUID(), now },
          { key: `shred|${redactionStream(redactionId)}` },
        );
        shredded.push(redactionId);
      }
      cursor = signal?.aborted ? undefined : (page.nextCursor ?? undefined);
    } while (cursor);
    if (shredded.length > 0)
      this.logger.log(`shredded ${shredded.length} expired pseudonym mapping(s)`);
    return shredded;
  }
}

/** Waits for `work` (its failure ignored) or for `signal` to abort, whichever comes first. */
async function untilAborted(signal: AbortSignal, work: Promise<unknown>): Promise<void> {
  if (signal.aborted) return;
  let stop = () => {};
  const abort = new Promise<void>((resolve) => {
    stop = resolve;
    signal.addEventListener('abort', stop, { once: true });
  });
  try {
    await Promise.race([work.catch(() => undefined), abort]);
  } finally {
    signal.removeEventListener('abort', stop);
  }
}
