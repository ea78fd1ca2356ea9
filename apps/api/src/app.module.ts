import {
  AuthModule,
  type Clock,
  ConfigModule,
  ConnectorsPlatformModule,
  createValidationPipe,
  CustodianConfig,
  HealthModule,
  HttpErrorFilter,
  IntegrityModule,
  LeaseModule,
  LifecycleModule,
  LoggingModule,
  CustodianMetrics,
  MetricsModule,
  OversightModule,
  ProjectionsModule,
  StorageModule,
  VaultModule,
} from '@custodian/platform';
import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { AccessModule } from './access/access.module';
import { AiModule } from './ai/ai.module';
import { AccessDashboardModule } from './access-dashboard/access-dashboard.module';
import { AuditModule } from './audit/audit.module';
import { ConnectorsModule } from './connectors/connectors.module';
import { ConsoleModule } from './console/console.module';
import { ConsentsModule } from './consents/consents.module';
import { DashboardModule } from './dashboard/dashboard.module';
import { DownstreamModule } from './downstream/downstream.module';
import { ExportsModule } from './exports/exports.module';
import { IntegrityApiModule } from './integrity/integrity.module';
import { OversightApiModule } from './oversight/oversight.module';
import { PrivacyCentreModule } from './privacy-centre/privacy-centre.module';
import { LegalHoldsModule } from './legal-holds/legal-holds.module';
import { PrivacyRequestsModule } from './privacy-requests/privacy-requests.module';
import { PurposesModule } from './purposes/purposes.module';
import { ReportsModule } from './reports/reports.module';
import { SubjectsModule } from './subjects/subjects.module';
import { TimelineModule } from './timeline/timeline.module';

/**
 * What a caller may replace when building the app: the clock, for tests that move time; the
 * metrics registry the HTTP hook records into (one is made if none is given).
 */
export interface AppOptions {
  clock?: Clock;
  metrics?: CustodianMetrics;
}

@Module({})
export class AppModule {
  static forRoot(config: CustodianConfig, options: AppOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config, options.clock),
        LifecycleModule,
        LoggingModule.forRoot(config),
        StorageModule,
        // The singleton lease: export sweeps and resumption, retention run in one API process.
        LeaseModule,
        VaultModule,
        ProjectionsModule,
        OversightModule,
        IntegrityModule,
        ConnectorsPlatformModule,
        AuthModule,
        HealthModule,
        MetricsModule.forRoot(options.metrics ?? new CustodianMetrics()),
        // Commands and queries travel on its buses; reactions never do (its EventBus and sagas
        // are in memory, not durable): they follow the log.
        CqrsModule.forRoot(),
        PurposesModule,
        ConsentsModule,
        DashboardModule,
        AccessDashboardModule,
        DownstreamModule,
        SubjectsModule,
        AccessModule,
        OversightApiModule,
        ExportsModule,
        AuditModule,
        ReportsModule,
        IntegrityApiModule,
        TimelineModule,
        PrivacyRequestsModule,
        PrivacyCentreModule,
        ConsoleModule,
        LegalHoldsModule,
        ConnectorsModule,
        AiModule,
      ],
      providers: [
        { provide: APP_FILTER, useClass: HttpErrorFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe },
      ],
    };
  }
}
