import { describeWhenEnv } from '@test/support';
import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { InvalidCryptoInputError, KeyDestroyedError } from '../crypto.errors';
import { keyStoreContract } from '../testing/key-store.contract';
import { MongoKeyStore } from './mongo-key-store';

describe('MongoKeyStore without a server', () => {
  // Nothing listens here: any I/O would fail with a server selection error instead.
  const uri = 'mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=200';

  it('rejects invalid input before touching the server', async () => {
    const store = new MongoKeyStore({ uri, database: 'unused' });
    const record = {
      subjectId: 's',
      keyId: randomUUID(),
      wrappedKey: 'v1.x.y',
      createdAt: new Date().toISOString(),
    };
    const invalid = [
      store.putIfAbsent({ ...record, subjectId: { $ne: null } as never }),
      store.putIfAbsent({ ...record, keyId: '' }),
      store.putIfAbsent({ ...record, createdAt: 'yesterday' }),
      store.get(''),
      store.destroy('s', new Date(Number.NaN)),
      store.destroyed({ $exists: true } as never),
    ];
    for (const result of invalid) {
      await expect(result).rejects.toBeInstanceOf(InvalidCryptoInputError);
    }
    await store.close();
    await expect(store.ping()).rejects.toThrow('key store is closed');
  });
});

describeWhenEnv('MONGODB_URI', 'MongoKeyStore', (uri) => {
  const database = `custodian_ks_test_${randomUUID().replace(/-/g, '').slice(0, 12)}`;

  const open = async () => {
    const client = new MongoClient(uri);
    const store = new MongoKeyStore({ client, database });
    return {
      client,
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

  keyStoreContract('MongoDB', open);

  describe('an interrupted destroy (tombstone written, key not yet deleted)', () => {
    let fixture: Awaited<ReturnType<typeof open>>;
    beforeEach(async () => {
      fixture = await open();
    });
    afterEach(() => fixture.dispose());

    it('never serves the key, refuses a new one, and a retried destroy finishes', async () => {
      const { client, store } = fixture;
      const subjectId = `s-${randomUUID()}`;
      const keyId = randomUUID();
      await store.putIfAbsent({
        subjectId,
        keyId,
        wrappedKey: 'v1.AAAAAAAAAAAAAAAA.c2VjcmV0LXdyYXBwZWQta2V5',
        createdAt: new Date().toISOString(),
      });
      const destroyedAt = '2026-03-01T00:00:00.000Z';
      await client
        .db(database)
        .collection<{ _id: string; keyId: string; destroyedAt: string }>('key_tombstones')
        .insertOne({ _id: subjectId, keyId, destroyedAt });

      expect(await store.get(subjectId)).toBeNull();
      await expect(
        store.putIfAbsent({
          subjectId,
          keyId: randomUUID(),
          wrappedKey: 'v1.x.y',
          createdAt: new Date().toISOString(),
        }),
      ).rejects.toBeInstanceOf(KeyDestroyedError);
      expect(await store.destroy(subjectId, new Date())).toEqual({ keyId, destroyedAt });
      const keys = client.db(database).collection<{ _id: string }>('subject_keys');
      expect(await keys.countDocuments({ _id: subjectId })).toBe(0);
    });
  });
});
