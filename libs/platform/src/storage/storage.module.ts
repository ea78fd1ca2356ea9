import { EVENT_STORE, EsdbEventStore, EventStore, SqliteEventStore } from '@custodian/event-store';
import { MongoReadStore, READ_STORE, ReadStore, SqliteReadStore } from '@custodian/read-store';
import {
  Global,
  Inject,
  Logger,
  Module,
  OnApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import { CommandExecutor } from '../commands/command-executor';
import { WriteTracker } from '../commands/write-tracker';
import { Lifecycle } from '../lifecycle/lifecycle';
import { CUSTODIAN_CONFIG } from '../config/config.module';
import type { CustodianConfig } from '../config/custodian-config';
import { prepareDataDir, preparePrivateFile } from './private-files';

/** Warnings about files found open to group or others (and tightened). */
const warn = (message: string) => new Logger('Storage').warn(message);

export function createEventStore(config: CustodianConfig): EventStore {
  if (config.eventStore.kind !== 'sqlite')
    return new EsdbEventStore(config.eventStore.connectionString);
  preparePrivateFile(config.eventStore.file, warn);
  return new SqliteEventStore({ file: config.eventStore.file });
}

export function createReadStore(config: CustodianConfig): ReadStore {
  if (config.readStore.kind !== 'sqlite')
    return new MongoReadStore({ uri: config.readStore.uri, database: config.readStore.database });
  preparePrivateFile(config.readStore.file, warn);
  return new SqliteReadStore({ file: config.readStore.file });
}

/** Wires the EventStore and ReadStore ports to the adapters the configuration names. */
@Global()
@Module({
  providers: [
    { provide: EVENT_STORE, inject: [CUSTODIAN_CONFIG], useFactory: createEventStore },
    { provide: READ_STORE, inject: [CUSTODIAN_CONFIG], useFactory: createReadStore },
    CommandExecutor,
    WriteTracker,
  ],
  exports: [EVENT_STORE, READ_STORE, CommandExecutor, WriteTracker],
})
export class StorageModule implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(StorageModule.name);

  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Inject(READ_STORE) private readonly reads: ReadStore,
    @Inject(CUSTODIAN_CONFIG) config: CustodianConfig,
    private readonly lifecycle: Lifecycle,
  ) {
    // The stores' files were prepared as they opened; the directory itself and exports/ here.
    prepareDataDir(config.dataDir, warn);
    this.logger.log(
      `event store: ${config.eventStore.kind}, read store: ${config.readStore.kind}` +
        (config.eventStore.kind === 'sqlite' ? `, data in ${config.dataDir}` : ''),
    );
  }

  /**
   * Start-up checks of the deployment, before anything reads or writes: MongoDB must be a
   * replica set (or sharded). A failure stops start-up with its message (`MongoTopologyError`,
   * exit code 78 from the entry points).
   */
  async onModuleInit(): Promise<void> {
    if (this.reads instanceof MongoReadStore) {
      const reads = this.reads;
      await this.lifecycle.step('storage: check the MongoDB topology', () =>
        reads.assertTopology(),
      );
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([
      this.lifecycle.step('storage: close the event store', () => this.events.close()),
      this.lifecycle.step('storage: close the read store', () => this.reads.close()),
    ]);
  }
}
