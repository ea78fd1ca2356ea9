import {
  deriveKey,
  KEY_PURPOSES,
  KEY_STORE,
  loadMasterKey,
  MongoKeyStore,
  SqliteKeyStore,
  SubjectKeys,
  type KeyStore,
} from '@custodian/crypto';
import {
  Global,
  Inject,
  Logger,
  Module,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { join } from 'node:path';
import { CUSTODIAN_CONFIG } from '../config/config.module';
import type { CustodianConfig } from '../config/custodian-config';
import { Lifecycle } from '../lifecycle/lifecycle';
import { preparePrivateFile } from '../storage/private-files';
import { AccessRecorder } from './access-receipt';
import { BlindIndex } from './blind-index';
import { ErasureLedger, ErasureReconciler } from './erasure-reconciler';
import { ErasureService } from './erasure.service';
import { BLIND_INDEX_KEY, FieldVault, PHONE_REGION } from './field-vault';
import { LegalHolds } from './legal-holds';
import { RetentionSweeper } from './retention-sweeper';

/** The master key (a Buffer): keys are derived from it for each use (key wrapping, export files). */
export const MASTER_KEY = Symbol.for('custodian.MasterKey');

export function createKeyStore(config: CustodianConfig): KeyStore {
  if (config.readStore.kind !== 'sqlite')
    return new MongoKeyStore({ uri: config.readStore.uri, database: config.readStore.database });
  const file = join(config.dataDir, 'keys.sqlite');
  preparePrivateFile(file, (message) => new Logger('Storage').warn(message));
  return new SqliteKeyStore({ file });
}

/** Personal-data protection: the master key, per-subject data keys, the field cipher, erasure. */
@Global()
@Module({
  providers: [
    { provide: KEY_STORE, inject: [CUSTODIAN_CONFIG], useFactory: createKeyStore },
    {
      provide: MASTER_KEY,
      inject: [CUSTODIAN_CONFIG],
      useFactory: (config: CustodianConfig) => {
        const loaded = loadMasterKey({
          masterKey: config.masterKey,
          dataDir: config.dataDir,
          embedded: config.eventStore.kind === 'sqlite',
        });
        if (loaded.generated) {
          new Logger('Vault').warn(
            `generated a master key into ${loaded.file} (owner-only); set CUSTODIAN_MASTER_KEY in production and keep it out of backups of the data`,
          );
        }
        return loaded.key;
      },
    },
    {
      provide: SubjectKeys,
      inject: [KEY_STORE, MASTER_KEY],
      useFactory: (keyStore: KeyStore, master: Buffer) =>
        new SubjectKeys({ keyStore, kek: deriveKey(master, KEY_PURPOSES.keyWrap) }),
    },
    {
      provide: BLIND_INDEX_KEY,
      inject: [MASTER_KEY],
      useFactory: (master: Buffer) => deriveKey(master, KEY_PURPOSES.blindIndex),
    },
    {
      provide: PHONE_REGION,
      inject: [CUSTODIAN_CONFIG],
      useFactory: (config: CustodianConfig) => config.phoneRegion,
    },
    FieldVault,
    AccessRecorder,
    BlindIndex,
    ErasureService,
    ErasureLedger,
    ErasureReconciler,
    RetentionSweeper,
    LegalHolds,
  ],
  exports: [
    ErasureLedger,
    ErasureReconciler,
    KEY_STORE,
    MASTER_KEY,
    SubjectKeys,
    FieldVault,
    AccessRecorder,
    BlindIndex,
    ErasureService,
    RetentionSweeper,
    LegalHolds,
  ],
})
export class VaultModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(KEY_STORE) private readonly keyStore: KeyStore,
    private readonly lifecycle: Lifecycle,
    private readonly reconciler: ErasureReconciler,
  ) {}

  /**
   * Every process that opens the stores (the API, the projector) first brings the key store in
   * line with the log's erasures, before it serves or runs its processors: a crash between
   * `SubjectErased` and the key's destruction, or a restored key store, leaves nothing alive.
   * Then the reconciler follows the log where the projections run.
   */
  async onApplicationBootstrap(): Promise<void> {
    await this.lifecycle.step('vault: reconcile erasures with the log', () =>
      this.reconciler.reconcile(),
    );
    await this.lifecycle.step('vault: start the erasure reconciler', () => this.reconciler.start());
  }

  async onApplicationShutdown(): Promise<void> {
    await this.lifecycle.step('vault: stop the erasure reconciler', () => this.reconciler.stop());
    await this.lifecycle.step('vault: close the key store', () => this.keyStore.close());
  }
}
