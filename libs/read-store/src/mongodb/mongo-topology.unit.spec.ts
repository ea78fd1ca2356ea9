import type { MongoClient } from 'mongodb';
import { MongoTopologyError } from '../read-store.errors';
import { MongoReadStore } from './mongo-read-store';

/**
 * Start-up and first-commit behaviour against a scripted client (no server here; the contract
 * suite against a real replica set runs with MONGODB_URI): a standalone mongod is refused with
 * a clear message, the checkpoint collection is created once outside any transaction, and a
 * "replica set member" refusal is not retried.
 */
function scriptedClient(hello: Record<string, unknown>, transaction?: () => Promise<void>) {
  const calls: string[] = [];
  const collection = (name: string) => ({
    updateOne: async () => {
      calls.push(`updateOne ${name}`);
    },
  });
  const db = {
    collection,
    admin: () => ({
      command: async (command: Record<string, unknown>) => {
        calls.push(`command ${Object.keys(command)[0]}`);
        return hello;
      },
    }),
    createCollection: async (name: string) => {
      calls.push(`createCollection ${name}`);
      // Yield, so concurrent first commits overlap here.
      await new Promise((resolve) => setTimeout(resolve, 5));
    },
  };
  const client = {
    db: () => db,
    withSession: async (fn: (session: unknown) => Promise<void>) =>
      fn({
        withTransaction: async (work: () => Promise<void>) => {
          calls.push('transaction');
          if (transaction) return transaction();
          return work();
        },
      }),
  };
  return { client: client as unknown as MongoClient, calls };
}

const checkpoint = (sequence: number) => ({
  writes: [],
  checkpoint: { name: 'cp', position: String(sequence), sequence },
});

describe('MongoReadStore topology (scripted client)', () => {
  it('refuses a standalone mongod at start-up, naming the fix, with exit code 78', async () => {
    const { client } = scriptedClient({ isWritablePrimary: true, maxWireVersion: 21 });
    const store = new MongoReadStore({ client, database: 'x' });
    const error = await store.assertTopology().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MongoTopologyError);
    expect((error as MongoTopologyError).message).toMatch(/standalone mongod.*replica set/);
    expect((error as MongoTopologyError).exitCode).toBe(78);
  });

  it('accepts a replica set member and a mongos', async () => {
    for (const hello of [{ setName: 'rs0', isWritablePrimary: true }, { msg: 'isdbgrid' }]) {
      const { client } = scriptedClient(hello);
      await expect(new MongoReadStore({ client, database: 'x' }).assertTopology()).resolves.toBe(
        undefined,
      );
    }
  });

  it('creates the checkpoint collection once, before any transaction, however many commit at once', async () => {
    const { client, calls } = scriptedClient({ setName: 'rs0' });
    const store = new MongoReadStore({ client, database: 'x' });
    await Promise.all([1, 2, 3].map((n) => store.commit(checkpoint(n))));
    expect(calls.filter((c) => c === 'createCollection rm__checkpoints')).toHaveLength(1);
    const firstTransaction = calls.indexOf('transaction');
    expect(calls.indexOf('createCollection rm__checkpoints')).toBeLessThan(firstTransaction);
    expect(calls.filter((c) => c === 'transaction')).toHaveLength(3);
    await store.commit(checkpoint(4));
    expect(calls.filter((c) => c.startsWith('createCollection'))).toHaveLength(2); // both, once
  });

  it('turns the "replica set member" refusal of a first transaction into one clear error, tried once', async () => {
    let tries = 0;
    const refusal = Object.assign(
      new Error('Transaction numbers are only allowed on a replica set member or mongos'),
      { code: 20 },
    );
    const { client } = scriptedClient({}, async () => {
      tries++;
      throw refusal;
    });
    const store = new MongoReadStore({ client, database: 'x' });
    await expect(store.commit(checkpoint(1))).rejects.toBeInstanceOf(MongoTopologyError);
    expect(tries).toBe(1);
  });
});
