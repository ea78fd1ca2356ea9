import {
  ConfigModule,
  IntegrityModule,
  ConnectorsPlatformModule,
  CustodianConfig,
  LifecycleModule,
  LoggingModule,
  OversightModule,
  ProjectionsModule,
  ProjectorHeartbeat,
  StorageModule,
  KeyStoreModule,
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
        // Not VaultModule: no projection decrypts, so the projector holds no master key.
        KeyStoreModule,
        ProjectionsModule,
        OversightModule,
        IntegrityModule,
        ConnectorsPlatformModule,
      ],
      // Renews the `projector` lease: an API with CUSTODIAN_PROJECTOR=off is ready only while it lives.
      providers: [ProjectorHeartbeat],
    };
  }
}
