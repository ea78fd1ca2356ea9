import { KEY_STORE, SubjectKeys, type KeyStore } from '@custodian/crypto';
import { subjectStream, type SubjectErased } from '@custodian/domain';
import { EVENT_STORE, type EventStore, type RecordedEvent } from '@custodian/event-store';
import {
  ProjectionRunner,
  type ProcessorDefinition,
  type ProcessorHandle,
} from '@custodian/projections';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { CLOCK, type Clock } from '../clock/clock';
import { BlindIndex } from './blind-index';

/** Events read per page by the start-up pass. */
const PAGE = 1000;

/**
 * The log is the truth about erasure: a subject is erased once its stream holds `SubjectErased`
 * (nothing follows it, so the last event says it), whether or not its key has been destroyed
 * yet. Commands ask this, never the key store's tombstone, which a crash before the
 * destruction or a restored key store can leave missing.
 */
@Injectable()
export class ErasureLedger {
  constructor(@Inject(EVENT_STORE) private readonly events: EventStore) {}

  async isErased(subjectId: string): Promise<boolean> {
    const [last] = await this.events.readStream(subjectStream(subjectId), {
      direction: 'backwards',
      maxCount: 1,
    });
    return last?.type === 'SubjectErased';
  }

  /** Those of `subjectIds` that are erased (one read each: for the few a lookup finds). */
  async erasedAmong(subjectIds: readonly string[]): Promise<Set<string>> {
    const erased = new Set<string>();
    for (const subjectId of subjectIds) if (await this.isErased(subjectId)) erased.add(subjectId);
    return erased;
  }
}

export interface ReconciliationReport {
  /** Exclusive: the pass read the log after this position (null: from the start). */
  from: string | null;
  /** The log's head when the pass began; recorded in the key store when it ended. */
  through: string | null;
  eventsRead: number;
  erasures: number;
  /** Keys this pass destroyed (the others already were, or never existed in this store). */
  keysDestroyed: number;
}

/**
 * Makes every `SubjectErased` in the log end in the key's destruction and the blind-index
 * entries' removal, idempotently, whatever stopped the erasure half-way:
 * - at start-up, before the process serves (`reconcile`): it reads the log's events after the
 *   position the key store says it was reconciled through, applies every erasure among them,
 *   and records the head it read to. The position lives in the key store, so a key store
 *   restored from an older backup carries its older position back, and every erasure
 *   recorded since is applied again;
 * - live (`start`): a processor on `SubjectErased` on the projection runner (where the
 *   projections run), which retries a failing destruction with backoff and parks what keeps
 *   failing as a dead letter, retried at every start.
 * `ErasureService` destroys the key at once too; this finishes what it could not.
 */
@Injectable()
export class ErasureReconciler {
  private readonly logger = new Logger(ErasureReconciler.name);
  private processor: ProcessorHandle | undefined;

  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Inject(KEY_STORE) private readonly keyStore: KeyStore,
    private readonly blindIndex: BlindIndex,
    private readonly runner: ProjectionRunner,
    @Inject(CLOCK) private readonly clock: Clock,
    // Absent in the projector, which holds no master key and so no unwrapped keys to forget.
    @Optional() private readonly keys?: SubjectKeys,
  ) {}

  /**
   * Destroys the erased subject's key and blind-index entries; true if a key was destroyed now.
   * Destroying needs the key store only (no master key): the projector runs this too.
   */
  async apply(subjectId: string): Promise<boolean> {
    const before = await this.keyStore.destroyed(subjectId);
    this.keys?.forget(subjectId);
    const tombstone = await this.keyStore.destroy(subjectId, this.clock.now());
    // Again, in case a load cached the key while the destroy was in flight.
    this.keys?.forget(subjectId);
    await this.blindIndex.removeAll(subjectId);
    return before === null && tombstone !== null;
  }

  /** The start-up pass: every erasure in the log up to its head is applied when it resolves. */
  async reconcile(): Promise<ReconciliationReport> {
    const head = await this.events.readLastEvent();
    let from = await this.keyStore.erasuresAppliedThrough();
    if (from !== null && (!head || !this.isAtOrBefore(from, head.position))) {
      // The log is older than the key store's mark (an older log restored under a newer key
      // store, or another log): read it all.
      this.logger.warn(
        `the key store was reconciled through ${from}, beyond this log's head ${head?.position ?? '(empty)'}; reading the whole log`,
      );
      from = null;
    }
    const report: ReconciliationReport = {
      from,
      through: head?.position ?? null,
      eventsRead: 0,
      erasures: 0,
      keysDestroyed: 0,
    };
    if (!head) return report;
    let after = from ?? undefined;
    for (;;) {
      const page = await this.events.readAll({ after, maxCount: PAGE });
      if (page.length === 0) break;
      for (const event of page) {
        if (this.events.comparePositions(event.position, head.position) > 0) break;
        report.eventsRead++;
        if (event.type !== 'SubjectErased') continue;
        report.erasures++;
        if (await this.apply(erasedSubject(event))) report.keysDestroyed++;
      }
      after = page[page.length - 1].position;
      if (this.events.comparePositions(after, head.position) >= 0) break;
    }
    await this.keyStore.setErasuresAppliedThrough(head.position);
    const message = `erasures reconciled through ${head.position}: ${report.eventsRead} event(s) read, ${report.erasures} erasure(s), ${report.keysDestroyed} key(s) destroyed now`;
    if (report.keysDestroyed > 0) this.logger.warn(message);
    else this.logger.log(message);
    return report;
  }

  /** Hands the live reconciler to the runner (run where the projections run). */
  async start(): Promise<void> {
    this.processor = await this.runner.addProcessor(erasureReconcilerProcessor(this));
  }

  async stop(): Promise<void> {
    await this.processor?.stop();
  }

  private isAtOrBefore(position: string, head: string): boolean {
    try {
      return this.events.comparePositions(position, head) <= 0;
    } catch {
      return false; // not a position of this store
    }
  }
}

/** The processor: each `SubjectErased`, in log order, applied (idempotent, so redelivery is harmless). */
export function erasureReconcilerProcessor(reconciler: {
  apply(subjectId: string): Promise<unknown>;
}): ProcessorDefinition {
  return {
    name: 'erasure-reconciler',
    eventTypes: ['SubjectErased'],
    async handle(events, ctx) {
      for (const event of events) {
        if (ctx.signal.aborted) return;
        await reconciler.apply(erasedSubject(event));
      }
    },
  };
}

function erasedSubject(event: RecordedEvent): string {
  return (event.data as SubjectErased['data']).subjectId;
}
