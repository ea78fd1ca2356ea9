import { describeWhenEnv } from '@test/support';
import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { InvalidReadStoreInputError } from '../read-store.errors';
import { leaseContract, readStoreContract } from '../testing/read-store.contract';
import { MongoReadStore } from './mongo-read-store';

describe('MongoReadStore without a server', () => {
  // Nothing listens here: any I/O would fail with a server selection error instead.
  const uri = 'mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=200';

  it('rejects invalid input before touching the server', async () => {
    const store = new MongoReadStore({ uri, database: 'unused' });
    const invalid = [
      store.ensureCollection({ name: 'Bad-Name' }),
      store.ensureCollection({ name: 'ok', indexes: ['id'] }),
      store.dropCollection('x; y'),
      store.get('ok', ''),
      store.getMany('ok', ['a', 5 as never]),
      store.commit({ writes: [{ collection: 'ok', id: 'a', doc: [] as never }] }),
      store.commit({ writes: [], checkpoint: { name: 'cp', position: '1', sequence: -1 } }),
      store.getCheckpoint({ $ne: null } as never),
    ];
    for (const result of invalid)
      await expect(result).rejects.toBeInstanceOf(InvalidReadStoreInputError);
    await store.close();
  });

  it('does nothing for an empty batch, and reports itself closed', async () => {
    const store = new MongoReadStore({ uri, database: 'unused' });
    await store.commit({ writes: [] });
    await store.close();
    await expect(store.ping()).rejects.toThrow('read store is closed');
  });
});

/** Needs a replica set for transactions, e.g. mongodb://localhost:27017/?replicaSet=rs0 */
describeWhenEnv('MONGODB_URI', 'MongoReadStore', (uri) => {
  const database = `custodian_rs_test_${randomUUID().replace(/-/g, '').slice(0, 12)}`;

  const open = async () => {
    const client = new MongoClient(uri);
    const store = new MongoReadStore({ client, database });
    return {
      store,
      dispose: async () => {
        await store.close();
        try {
          await client.db(database).dropDatabase();
        } finally {
          await client.close();
        }
      },
    };
  };

  readStoreContract('MongoDB', open);
  leaseContract('MongoDB', open);

  describe('replay guard', () => {
    let fixture: Awaited<ReturnType<typeof open>>;
    let store: MongoReadStore;
    const name = 'guarded';
    const put = (id: string, doc: Record<string, number>) => ({ collection: name, id, doc });
    const checkpoint = (sequence: number) => ({ name: 'cp', position: String(sequence), sequence });

    beforeEach(async () => {
      fixture = await open();
      store = fixture.store;
      await store.ensureCollection({ name });
    });
    afterEach(() => fixture.dispose());

    it('ignores writes from a sequence the document has already seen', async () => {
      await store.commit({ writes: [put('a', { v: 5 })], checkpoint: checkpoint(5) });
      await store.commit({ writes: [put('a', { v: 4 })], checkpoint: checkpoint(4) });
      await store.commit({ writes: [put('a', { v: 50 })], checkpoint: checkpoint(5) });
      await store.commit({
        writes: [{ collection: name, id: 'a', doc: null }],
        checkpoint: checkpoint(5),
      });
      expect(await store.get(name, 'a')).toEqual({ v: 5 });
      // The checkpoint itself is stored as given, as in the SQLite adapter.
      expect(await store.getCheckpoint('cp')).toEqual({ position: '5', sequence: 5 });
      await store.commit({ writes: [put('a', { v: 6 })], checkpoint: checkpoint(6) });
      expect(await store.get(name, 'a')).toEqual({ v: 6 });
    });

    it('writes unconditionally without a checkpoint, and the last write of a batch wins', async () => {
      await store.commit({ writes: [put('a', { v: 9 })], checkpoint: checkpoint(9) });
      await store.commit({ writes: [put('a', { v: 1 })] });
      expect(await store.get(name, 'a')).toEqual({ v: 1 });
      await store.commit({
        writes: [put('b', { v: 1 }), put('b', { v: 2 })],
        checkpoint: checkpoint(10),
      });
      expect(await store.get(name, 'b')).toEqual({ v: 2 });
    });

    it('stores documents whose strings and keys look like operators verbatim', async () => {
      const doc = { $set: '$$ROOT', 'a.b': '$_seq', nested: { $literal: ['$x'] } };
      await store.commit({
        writes: [{ collection: name, id: '$id', doc: doc as never }],
        checkpoint: checkpoint(1),
      });
      expect(await store.get(name, '$id')).toEqual(doc);
    });
  });
});
