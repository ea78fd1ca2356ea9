import {
  ConfigModule,
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

/** The projector alone: stores, projections and the anomaly detector, no HTTP. */
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
      ],
      // Renews the `projector` lease: an API with CUSTODIAN_PROJECTOR=off is ready only while it lives.
      providers: [ProjectorHeartbeat],
    };
  }
}
