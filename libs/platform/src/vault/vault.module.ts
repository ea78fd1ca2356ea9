import {
  deriveKey,
  KEY_PURPOSES,
  KEY_STORE,
  loadMasterKey,
  resolveBlindIndexKey,
  SubjectKeys,
  type KeyStore,
} from '@custodian/crypto';
import { Global, Logger, Module } from '@nestjs/common';
import { CUSTODIAN_CONFIG } from '../config/config.module';
import type { CustodianConfig } from '../config/custodian-config';
import { AccessRecorder } from './access-receipt';
import { ErasureService } from './erasure.service';
import { BLIND_INDEX_KEY, FieldVault, PHONE_REGION } from './field-vault';
import { KeyStoreModule } from './key-store.module';
import { LegalHolds } from './legal-holds';
import { RetentionSweeper } from './retention-sweeper';

/** The master key (a Buffer): keys are derived from it for each use (key wrapping, export files). */
export const MASTER_KEY = Symbol.for('custodian.MasterKey');

// Kept importable from here, where it was first defined.
export { createKeyStore } from './key-store.module';

/**
 * Personal-data protection where values are sealed and opened (the API): the master key,
 * per-subject data keys, the field cipher, erasure and retention. Needs `KeyStoreModule` (the
 * key store, blind index and erasure reconciler), which the projector imports alone.
 */
@Global()
@Module({
  imports: [KeyStoreModule],
  providers: [
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
      // Derived from the master key, or, once the master key was rotated, kept wrapped in the
      // key store (the index's HMACs must outlive the key): `master-rotation.ts`.
      provide: BLIND_INDEX_KEY,
      inject: [KEY_STORE, MASTER_KEY],
      useFactory: (keyStore: KeyStore, master: Buffer) => resolveBlindIndexKey(keyStore, master),
    },
    {
      provide: PHONE_REGION,
      inject: [CUSTODIAN_CONFIG],
      useFactory: (config: CustodianConfig) => config.phoneRegion,
    },
    FieldVault,
    AccessRecorder,
    ErasureService,
    RetentionSweeper,
    LegalHolds,
  ],
  exports: [
    MASTER_KEY,
    SubjectKeys,
    FieldVault,
    AccessRecorder,
    ErasureService,
    RetentionSweeper,
    LegalHolds,
  ],
})
export class VaultModule {}
