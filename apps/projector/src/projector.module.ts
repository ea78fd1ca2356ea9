import {
  ConfigModule,
  IntegrityModule,
  ConnectorsPlatformModule,
  CustodianConfig,
  LifecycleModule,
  LoggingModule,
  OversightModule,
  ProjectionsModule,
  StorageModule,
  VaultModule,
} from '@custodian/platform';
import { DynamicModule, Module } from '@nestjs/common';

/**
 * The projector alone: stores, projections, the anomaly detector, the integrity checkpointer and
 * webhook delivery, no HTTP.
 */
@Module({})
export class ProjectorModule {
  static forRoot(config: CustodianConfig): DynamicModule {
    return {
      module: ProjectorModule,
      imports: [
        ConfigModule.forRoot(config),
        LifecycleModule,
        LoggingModule.forRoot(config),
        StorageModule,
        VaultModule,
        ProjectionsModule,
        OversightModule,
        IntegrityModule,
        ConnectorsPlatformModule,
      ],
    };
  }
}
