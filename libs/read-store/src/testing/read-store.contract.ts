import { randomUUID } from 'node:crypto';
import { InvalidReadStoreInputError, UnknownCollectionError } from '../read-store.errors';
import type { ReadStore, StoredDocument } from '../read-store.port';

export interface ReadStoreFixture {
  store: ReadStore;
  dispose(): Promise<void>;
}

/**
 * The behaviour every ReadStore adapter must have. Collection and checkpoint names are unique
 * per test so the suite also runs against a shared server.
 */
export function readStoreContract(adapter: string, open: () => Promise<ReadStoreFixture>): void {
  describe(`ReadStore contract: ${adapter}`, () => {
    let fixture: ReadStoreFixture;
    let store: ReadStore;
    let name: string;
    beforeEach(async () => {
      fixture = await open();
      store = fixture.store;
      name = `t_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
      await store.ensureCollection({ name, indexes: ['status', 'purpose', 'score'] });
    });
    afterEach(async () => {
      await store.dropCollection(name);
      await fixture.dispose();
    });

    const put = (id: string, doc: Record<string, unknown>) => ({
      collection: name,
      id,
      doc: doc as never,
    });
    const ids = (items: StoredDocument[]) => items.map((item) => item.id);

    it('stores, reads, replaces and deletes documents by id', async () => {
      await store.commit({ writes: [put('a', { status: 'granted', nested: { x: [1, 'two'] } })] });
      expect(await store.get(name, 'a')).toEqual({ status: 'granted', nested: { x: [1, 'two'] } });
      await store.commit({ writes: [put('a', { status: 'revoked' })] });
      expect(await store.get(name, 'a')).toEqual({ status: 'revoked' });
      await store.commit({ writes: [{ collection: name, id: 'a', doc: null }] });
      expect(await store.get(name, 'a')).toBeNull();
      expect(await store.get(name, 'never')).toBeNull();
    });

    it('gets many documents at once, leaving out the missing ones', async () => {
      const writes = Array.from({ length: 1200 }, (_, i) => put(`d${i}`, { score: i }));
      await store.commit({ writes });
      const wanted = ['d0', 'd599', 'd1199', 'missing'];
      const found = await store.getMany(name, wanted);
      expect([...found.keys()].sort()).toEqual(['d0', 'd1199', 'd599']);
      expect(found.get('d599')).toEqual({ score: 599 });
      const all = await store.getMany(
        name,
        writes.map((w) => w.id),
      );
      expect(all.size).toBe(1200);
    });

    it('finds by equality on indexed fields, sorts and pages with a cursor', async () => {
      const docs = Array.from({ length: 25 }, (_, i) => ({
        id: `s${String(i).padStart(2, '0')}`,
        status: i % 2 === 0 ? 'granted' : 'revoked',
        purpose: i % 5 === 0 ? 'marketing' : 'billing',
        score: 100 - (i % 7),
      }));
      await store.commit({ writes: docs.map(({ id, ...doc }) => put(id, doc)) });

      const granted = docs.filter((d) => d.status === 'granted');
      const expectedOrder = [...granted]
        .sort((a, b) => a.score - b.score || a.id.localeCompare(b.id))
        .map((d) => d.id);
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.find(name, {
          where: { status: 'granted' },
          sort: { field: 'score' },
          limit: 4,
          cursor,
        });
        expect(page.items.length).toBeLessThanOrEqual(4);
        seen.push(...ids(page.items));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(seen).toEqual(expectedOrder);

      const desc = await store.find(name, {
        sort: { field: 'score', direction: 'desc' },
        limit: 3,
      });
      expect(desc.items.map((i) => i.doc.score)).toEqual([100, 100, 100]);
      expect(ids(desc.items)).toEqual(['s21', 's14', 's07']);

      const both = await store.find(name, { where: { status: 'granted', purpose: 'marketing' } });
      expect(ids(both.items)).toEqual(['s00', 's10', 's20']);
      expect(both.nextCursor).toBeNull();

      const byId = await store.find(name, {
        limit: 2,
        cursor: (await store.find(name, { limit: 2 })).nextCursor!,
      });
      expect(ids(byId.items)).toEqual(['s02', 's03']);
    });

    it('pages in descending order through every document exactly once', async () => {
      await store.commit({
        writes: Array.from({ length: 17 }, (_, i) => put(`p${i}`, { score: i % 3 })),
      });
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.find(name, {
          sort: { field: 'score', direction: 'desc' },
          limit: 5,
          cursor,
        });
        seen.push(...ids(page.items));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(seen).toHaveLength(17);
      expect(new Set(seen).size).toBe(17);
    });

    it('matches booleans and nulls by equality', async () => {
      await store.commit({
        writes: [
          put('t', { status: true }),
          put('f', { status: false }),
          put('n', { status: null }),
          put('m', {}),
        ],
      });
      expect(ids((await store.find(name, { where: { status: true } })).items)).toEqual(['t']);
      expect(ids((await store.find(name, { where: { status: false } })).items)).toEqual(['f']);
      expect(ids((await store.find(name, { where: { status: null } })).items).sort()).toEqual([
        'm',
        'n',
      ]);
    });

    it('counts all documents or those matching a filter', async () => {
      await store.commit({
        writes: [
          put('a', { status: 'granted' }),
          put('b', { status: 'granted' }),
          put('c', { status: 'revoked' }),
        ],
      });
      expect(await store.count(name)).toBe(3);
      expect(await store.count(name, { status: 'granted' })).toBe(2);
      expect(await store.count(name, { status: 'expired' })).toBe(0);
    });

    it('commits writes to several collections together with a checkpoint', async () => {
      const other = `${name}_o`;
      await store.ensureCollection({ name: other });
      const checkpointName = `cp-${randomUUID()}`;
      expect(await store.getCheckpoint(checkpointName)).toBeNull();
      await store.commit({
        writes: [put('a', { status: 'x' }), { collection: other, id: 'b', doc: { n: 1 } }],
        checkpoint: { name: checkpointName, position: '42', sequence: 7 },
      });
      expect(await store.getCheckpoint(checkpointName)).toEqual({ position: '42', sequence: 7 });
      expect(await store.get(other, 'b')).toEqual({ n: 1 });
      await store.commit({
        writes: [],
        checkpoint: { name: checkpointName, position: '43', sequence: 8 },
      });
      expect(await store.getCheckpoint(checkpointName)).toEqual({ position: '43', sequence: 8 });
      await store.dropCollection(other);
    });

    it('writes nothing, checkpoint included, when any write of a batch is invalid', async () => {
      const checkpointName = `cp-${randomUUID()}`;
      const error = await store
        .commit({
          writes: [
            put('a', { status: 'x' }),
            { collection: 'no_such_collection', id: 'b', doc: {} },
          ],
          checkpoint: { name: checkpointName, position: '1', sequence: 1 },
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnknownCollectionError);
      expect(await store.get(name, 'a')).toBeNull();
      expect(await store.getCheckpoint(checkpointName)).toBeNull();
    });

    it('drops a collection with its documents', async () => {
      const temp = `${name}_tmp`;
      await store.ensureCollection({ name: temp, indexes: ['status'] });
      await store.commit({ writes: [{ collection: temp, id: 'a', doc: { status: 'x' } }] });
      await store.dropCollection(temp);
      await expect(store.get(temp, 'a')).rejects.toBeInstanceOf(UnknownCollectionError);
      await store.ensureCollection({ name: temp, indexes: ['status'] });
      expect(await store.get(temp, 'a')).toBeNull();
      await store.dropCollection(temp);
    });

    it('keeps indexes when a collection is ensured again', async () => {
      await store.ensureCollection({ name, indexes: ['status'] });
      await store.commit({ writes: [put('a', { purpose: 'p' })] });
      expect(ids((await store.find(name, { where: { purpose: 'p' } })).items)).toEqual(['a']);
    });

    it.each([
      ['a filter on a field that is not indexed', { where: { secret: 'x' } }],
      ['a sort on a field that is not indexed', { sort: { field: 'secret' } }],
      ['a bad sort direction', { sort: { field: 'score', direction: 'up' } }],
      ['an object as a filter value', { where: { status: { $gt: 1 } } }],
      ['a zero limit', { limit: 0 }],
      ['a limit over 1000', { limit: 1001 }],
      ['a forged cursor', { cursor: 'not-a-cursor' }],
    ])('rejects %s', async (_, query) => {
      await expect(store.find(name, query as never)).rejects.toBeInstanceOf(
        InvalidReadStoreInputError,
      );
    });

    it('rejects bad collection names, unknown collections and bad ids', async () => {
      await expect(store.ensureCollection({ name: 'Bad-Name' })).rejects.toBeInstanceOf(
        InvalidReadStoreInputError,
      );
      await expect(store.ensureCollection({ name: 'x; DROP TABLE y' })).rejects.toBeInstanceOf(
        InvalidReadStoreInputError,
      );
      await expect(store.get('no_such_collection', 'a')).rejects.toBeInstanceOf(
        UnknownCollectionError,
      );
      await expect(store.get(name, '')).rejects.toBeInstanceOf(InvalidReadStoreInputError);
      await expect(
        store.commit({ writes: [], checkpoint: { name: 'cp', position: '1', sequence: -1 } }),
      ).rejects.toBeInstanceOf(InvalidReadStoreInputError);
    });
  });
}
