import type { JsonObject } from '@custodian/domain';
import { EVENT_STORE, EventStore } from '@custodian/event-store';
import {
  consentDailyProjection,
  consentReceiptsProjection,
  consentStateProjection,
  eventCountsProjection,
  ProjectionDefinition,
  ProjectionRunner,
  purposesProjection,
  subjectsProjection,
} from '@custodian/projections';
import { READ_STORE, ReadStore } from '@custodian/read-store';
import {
  Global,
  Inject,
  Logger,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { CUSTODIAN_CONFIG } from '../config/config.module';
import { ProjectionReader } from './projection-reader';
import type { CustodianConfig } from '../config/custodian-config';

/** Every projection the product runs; features add theirs here. */
export const PROJECTION_DEFINITIONS = [
  eventCountsProjection,
  purposesProjection,
  consentStateProjection,
  consentReceiptsProjection,
  consentDailyProjection,
  subjectsProjection,
] as unknown as readonly ProjectionDefinition<JsonObject>[];

/**
 * Provides the ProjectionRunner. It runs the projections when this process is the projector
 * (`apps/projector`, or the API in embedded mode); otherwise it only resolves collections.
 */
@Global()
@Module({
  providers: [
    {
      provide: ProjectionRunner,
      inject: [EVENT_STORE, READ_STORE, CUSTODIAN_CONFIG],
      useFactory: (events: EventStore, reads: ReadStore, config: CustodianConfig) => {
        const logger = new Logger('Projections');
        return new ProjectionRunner(events, reads, PROJECTION_DEFINITIONS, {
          batchSize: config.projectionBatchSize,
          lingerMs: config.projectionLingerMs,
          logger: { log: (m) => logger.log(m), error: (m) => logger.error(m) },
        });
      },
    },
    ProjectionReader,
  ],
  exports: [ProjectionRunner, ProjectionReader],
})
export class ProjectionsModule implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ProjectionsModule.name);
  private started = false;

  constructor(
    private readonly runner: ProjectionRunner,
    @Inject(CUSTODIAN_CONFIG) private readonly config: CustodianConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.projector !== 'in-process') return;
    await this.runner.start();
    this.started = true;
    this.logger.log(`running ${PROJECTION_DEFINITIONS.length} projection(s) in this process`);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.started) await this.runner.stop();
  }
}
