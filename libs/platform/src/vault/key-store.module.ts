import { KEY_STORE, MongoKeyStore, SqliteKeyStore, type KeyStore } from '@custodian/crypto';
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
import { BlindIndex } from './blind-index';
import { ErasureLedger, ErasureReconciler } from './erasure-reconciler';

export function createKeyStore(config: CustodianConfig): KeyStore {
  if (config.readStore.kind !== 'sqlite')
    return new MongoKeyStore({ uri: config.readStore.uri, database: config.readStore.database });
  const file = join(config.dataDir, 'keys.sqlite');
  preparePrivateFile(file, (message) => new Logger('Storage').warn(message));
  return new SqliteKeyStore({ file });
}

/**
 * What erasure needs and every process has: the key store (wrapped keys and tombstones), the
 * blind index, the erasure ledger and reconciler. No master key: destroying a key and removing
 * index entries never unwraps anything, so the projector (which imports this and not
 * `VaultModule`) starts without one.
 */
@Global()
@Module({
  providers: [
    { provide: KEY_STORE, inject: [CUSTODIAN_CONFIG], useFactory: createKeyStore },
    BlindIndex,
    ErasureLedger,
    ErasureReconciler,
  ],
  exports: [KEY_STORE, BlindIndex, ErasureLedger, ErasureReconciler],
})
export class KeyStoreModule implements OnApplicationBootstrap, OnApplicationShutdown {
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
