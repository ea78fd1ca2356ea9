import { retentionDeadline, type PurposeConsent, type PurposeState } from '@custodian/domain';
import type { PurposeDocument, SubjectDocument } from '@custodian/projections';
import { READ_STORE, type ReadStore } from '@custodian/read-store';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Lifecycle } from '../lifecycle/lifecycle';
import { CLOCK, type Clock } from '../clock/clock';
import { CUSTODIAN_CONFIG } from '../config/config.module';
import type { CustodianConfig } from '../config/custodian-config';
import { ProjectionReader } from '../projections/projection-reader';
import { ErasureService } from './erasure.service';
import { LegalHolds } from './legal-holds';

/** The actor recorded on erasures the retention rules make. */
export const RETENTION_ACTOR = { id: 'system-retention', role: 'system' };

/**
 * Erases, with reason `retention`, every customer no active purpose still holds and whose
 * retention period has run out — without anyone acting — and ends the legal holds that have
 * run out (their keys destroyed). Runs where the projections run.
 */
@Injectable()
export class RetentionSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Retention');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly erasure: ErasureService,
    private readonly projections: ProjectionReader,
    @Inject(READ_STORE) private readonly reads: ReadStore,
    @Inject(CUSTODIAN_CONFIG) private readonly config: CustodianConfig,
    private readonly lifecycle: Lifecycle,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly holds: LegalHolds,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.projector !== 'in-process' || this.config.retentionSweepMs === 0) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.sweep()
        .catch((error: unknown) =>
          this.logger.error(`retention sweep failed: ${(error as Error).message}`),
        )
        .finally(() => (this.running = undefined));
    }, this.config.retentionSweepMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.lifecycle.step('retention: sweep in progress', async () => this.running);
  }

  /** One pass over every customer not yet erased; returns the ids it erased. */
  async sweep(now = this.clock.now()): Promise<string[]> {
    const purposes = await this.purposes();
    const subjects = await this.projections.collection('subjects');
    const consents = await this.projections.collection('consent_state');
    const erased: string[] = [];
    // One sweep, one correlation; each erasure is its own command.
    const sweepId = randomUUID();
    let cursor: string | undefined;
    do {
      const page = await this.reads.find(subjects, {
        where: { erased: false },
        limit: 500,
        cursor,
      });
      for (const { doc } of page.items) {
        const subject = doc as SubjectDocument;
        const held = await this.reads.find(consents, {
          where: { subjectId: subject.subjectId },
          limit: 1000,
        });
        const deadline = retentionDeadline(
          {
            registeredAt: subject.registeredAt,
            fieldNames: Object.keys(subject.fields),
            consents: held.items.map((item) => item.doc as unknown as PurposeConsent),
            purposes,
          },
          now,
        );
        if (deadline && deadline <= now) {
          await this.erasure.erase(
            subject.subjectId,
            { reason: 'retention', requestedVia: 'system' },
            { actor: RETENTION_ACTOR, requestId: sweepId, causationId: randomUUID(), now },
          );
          erased.push(subject.subjectId);
        }
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    if (erased.length > 0)
      this.logger.log(`erased ${erased.length} customer(s) whose retention ran out`);
    // Legal holds that have run out: their keys destroyed, what they kept shredded.
    await this.holds.endExpired(now);
    return erased;
  }

  private async purposes(): Promise<Map<string, PurposeState>> {
    const collection = await this.projections.collection('purposes');
    const all = new Map<string, PurposeState>();
    let cursor: string | undefined;
    do {
      const page = await this.reads.find(collection, { limit: 1000, cursor });
      for (const item of page.items) all.set(item.id, item.doc as unknown as PurposeDocument);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return all;
  }
}
