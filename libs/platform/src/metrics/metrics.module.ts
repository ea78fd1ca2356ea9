import { PRIVACY_REQUEST_KINDS, type ExportStatus } from '@custodian/domain';
import { EVENT_STORE, SqliteEventStore, type EventStore } from '@custodian/event-store';
import { ProjectionRunner } from '@custodian/projections';
import {
  READ_STORE,
  UnknownCollectionError,
  type ReadStore,
  type WhereValue,
} from '@custodian/read-store';
import {
  DynamicModule,
  Global,
  Inject,
  Injectable,
  Module,
  OnModuleInit,
  ServiceUnavailableException,
} from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { CLOCK, type Clock } from '../clock/clock';
import { CUSTODIAN_CONFIG } from '../config/config.module';
import type { CustodianConfig } from '../config/custodian-config';
import { ProjectionReader } from '../projections/projection-reader';
import { CustodianMetrics } from './custodian-metrics';
import { MetricsController } from './metrics.controller';

/** Every export status, so each series exists (at 0) from the first scrape. */
const EXPORT_STATUSES = [
  'awaiting_approval',
  'generating',
  'completed',
  'rejected',
  'failed',
] as const satisfies readonly ExportStatus[];

/**
 * The metrics read at each scrape, from the stores (so they hold wherever the projections
 * run): projection and processor lag, dead letters, retries (this process's), anomalies
 * recorded, exports by status. Labels are projection and processor names and statuses only.
 */
@Injectable()
export class StoreMetrics implements OnModuleInit {
  constructor(
    private readonly metrics: CustodianMetrics,
    private readonly runner: ProjectionRunner,
    private readonly reader: ProjectionReader,
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Inject(READ_STORE) private readonly reads: ReadStore,
    @Inject(CUSTODIAN_CONFIG) private readonly config: CustodianConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    const registers = [this.metrics.registry];
    if (this.events instanceof SqliteEventStore)
      this.events.observeCommits(({ appends }) => this.metrics.observeGroupCommit(appends));

    const runner = this.runner;
    new Gauge({
      name: 'custodian_projection_lag_events',
      help: 'Events in the log not yet applied, per projection (from its stored checkpoint)',
      labelNames: ['projection'] as const,
      registers,
      async collect() {
        this.reset();
        for (const lag of await runner.lag()) this.set({ projection: lag.name }, lag.eventsBehind);
      },
    });
    new Gauge({
      name: 'custodian_projection_lag_seconds',
      help: 'How long the oldest event not yet applied has waited, per projection',
      labelNames: ['projection'] as const,
      registers,
      async collect() {
        this.reset();
        for (const lag of await runner.lag()) this.set({ projection: lag.name }, lag.secondsBehind);
      },
    });
    new Gauge({
      name: 'custodian_processor_lag_events',
      help: 'Events in the log not yet handled, per processor',
      labelNames: ['processor'] as const,
      registers,
      async collect() {
        this.reset();
        for (const lag of await runner.processorLag())
          this.set({ processor: lag.name }, lag.eventsBehind);
      },
    });
    new Gauge({
      name: 'custodian_processor_dead_letters',
      help: 'Events a processor parked as dead letters and has not handled since',
      labelNames: ['processor'] as const,
      registers,
      async collect() {
        this.reset();
        for (const lag of await runner.processorLag())
          this.set({ processor: lag.name }, lag.deadLetters);
      },
    });
    const runsHere = this.config.projector === 'in-process';
    new Counter({
      name: 'custodian_processor_retries_total',
      help: 'Failed processor attempts retried since this process started (where processors run)',
      labelNames: ['processor'] as const,
      registers,
      collect() {
        this.reset();
        if (!runsHere) return;
        for (const status of runner.processorStatus())
          this.inc({ processor: status.name }, status.retries);
      },
    });
    const count = (projection: string, where?: Record<string, WhereValue>) =>
      this.countIn(projection, where);
    new Counter({
      name: 'custodian_anomalies_detected_total',
      help: 'Anomalies the detector has recorded (the anomalies read model)',
      registers,
      async collect() {
        this.reset();
        this.inc(await count('anomalies'));
      },
    });
    new Gauge({
      name: 'custodian_exports',
      help: 'Exports by status (awaiting_approval and generating are open requests)',
      labelNames: ['status'] as const,
      registers,
      async collect() {
        for (const status of EXPORT_STATUSES)
          this.set({ status }, await count('exports', { status }));
      },
    });
    const clock = this.clock;
    new Gauge({
      name: 'custodian_privacy_requests_open',
      help: "Privacy requests (data subjects' requests) not yet completed or refused, by kind",
      labelNames: ['kind'] as const,
      registers,
      async collect() {
        for (const kind of PRIVACY_REQUEST_KINDS)
          this.set({ kind }, await count('privacy_requests', { phase: 'open', kind }));
      },
    });
    new Gauge({
      name: 'custodian_privacy_requests_overdue',
      help: 'Open privacy requests past their legal deadline, by kind',
      labelNames: ['kind'] as const,
      registers,
      async collect() {
        const now = clock.now().toISOString();
        for (const kind of PRIVACY_REQUEST_KINDS)
          this.set(
            { kind },
            await count('privacy_requests', { phase: 'open', kind, dueAt: { lt: now } }),
          );
      },
    });
  }

  /** Documents in a projection's active collection; 0 before it is first built. */
  private async countIn(projection: string, where?: Record<string, WhereValue>): Promise<number> {
    try {
      return await this.reads.count(await this.reader.collection(projection), where);
    } catch (error) {
      if (error instanceof UnknownCollectionError) return 0;
      // The projection runs elsewhere and has not been built yet.
      if (error instanceof ServiceUnavailableException) return 0;
      throw error;
    }
  }
}

/** `GET /metrics` and the metrics behind it; `metrics` is the one the HTTP hook records into. */
@Global()
@Module({})
export class MetricsModule {
  static forRoot(metrics: CustodianMetrics): DynamicModule {
    return {
      module: MetricsModule,
      controllers: [MetricsController],
      providers: [{ provide: CustodianMetrics, useValue: metrics }, StoreMetrics],
      exports: [CustodianMetrics],
    };
  }
}
