import { MASTER_KEY_FILE_NAME, loadMasterKey, readMasterKeyFile } from '@custodian/crypto';
import {
  CUSTODIAN_CONFIG,
  ConfigModule,
  IntegrityModule,
  ConnectorsPlatformModule,
  CustodianConfig,
  LifecycleModule,
  LoggingModule,
  MASTER_KEY,
  OversightModule,
  ProjectionsModule,
  ProjectorHeartbeat,
  StorageModule,
  KeyStoreModule,
} from '@custodian/platform';
import { DynamicModule, Global, Logger, Module } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The master key, for the processors that need key material (the integrity checkpointer signs
 * with a key derived from it; webhook delivery opens the sealed signing secrets). Loaded, never
 * generated: the projector is not where a key is made.
 */
@Global()
@Module({
  providers: [
    {
      provide: MASTER_KEY,
      inject: [CUSTODIAN_CONFIG],
      useFactory: (config: CustodianConfig) =>
        config.masterKey !== undefined
          ? loadMasterKey({ masterKey: config.masterKey, dataDir: config.dataDir, embedded: false })
              .key
          : readMasterKeyFile(join(config.dataDir, MASTER_KEY_FILE_NAME)),
    },
  ],
  exports: [MASTER_KEY],
})
class ProjectorKeyModule {}

/** Whether this projector was given the master key (configured, or the embedded key file). */
export function projectorHasMasterKey(config: CustodianConfig): boolean {
  return config.masterKey !== undefined || existsSync(join(config.dataDir, MASTER_KEY_FILE_NAME));
}

/**
 * The projector alone: stores, projections, the anomaly detector and the erasure reconciler, no
 * HTTP, and no master key: no projection decrypts. Given the master key, it also runs the two
 * processors that need key material: the integrity checkpointer and webhook delivery. Without it
 * those two run nowhere in a split deployment (the API runs processors only in-process), and the
 * projector says so at start-up.
 */
@Module({})
export class ProjectorModule {
  static forRoot(config: CustodianConfig): DynamicModule {
    const keyed = projectorHasMasterKey(config);
    if (!keyed)
      new Logger('Projector').warn(
        'no master key: integrity checkpoints and webhook deliveries are not run by this projector; give it CUSTODIAN_MASTER_KEY to run them',
      );
    return {
      module: ProjectorModule,
      imports: [
        ConfigModule.forRoot(config),
        LifecycleModule,
        LoggingModule.forRoot(config),
        StorageModule,
        // Not VaultModule: no projection decrypts.
        KeyStoreModule,
        ProjectionsModule,
        OversightModule,
        ...(keyed ? [ProjectorKeyModule, IntegrityModule, ConnectorsPlatformModule] : []),
      ],
      // Renews the `projector` lease: an API with CUSTODIAN_PROJECTOR=off is ready only while it lives.
      providers: [ProjectorHeartbeat],
    };
  }
}
