import { describeWhenEnv } from '@test/support';
import { eventStoreContract } from '../testing/event-store.contract';
import { EsdbEventStore } from './esdb-event-store';

/**
 * The contract against a real server, e.g.
 * EVENTSTORE_CONNECTION_STRING='esdb://localhost:2113?tls=false'. Without the variable the
 * suite is reported as skipped, with the reason.
 */
describeWhenEnv(
  'EVENTSTORE_CONNECTION_STRING',
  'EsdbEventStore against EventStoreDB',
  (connectionString) => {
    // The client is made per test, inside the contract's beforeEach, never at describe time.
    eventStoreContract('EventStoreDB', async () => {
      const store = new EsdbEventStore(connectionString);
      return { store, dispose: () => store.close() };
    });
  },
);
