import { randomUUID } from 'node:crypto';
import { InvalidReadStoreInputError, UnknownCollectionError } from '../read-store.errors';
import type { ReadStore, StoredDocument, WhereValue } from '../read-store.port';

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
      await store.ensureCollection({
        name,
        indexes: ['status', 'purpose', 'score', 'expiresAt'],
      });
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
    /** Ids matching `where`, by id; `count` must agree with `find`. */
    const matching = async (where: Record<string, WhereValue>) => {
      const page = await store.find(name, { where, limit: 1000 });
      expect(await store.count(name, where)).toBe(page.items.length);
      return ids(page.items);
    };

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

    it('declares compound indexes whose fields filter like indexed ones, and refuses bad ones', async () => {
      const compound = `${name}_c`;
      await store.ensureCollection({ name: compound, compoundIndexes: [['actor', 'at']] });
      await store.commit({
        writes: Array.from({ length: 30 }, (_, i) => ({
          collection: compound,
          id: `k${String(i).padStart(2, '0')}`,
          doc: { actor: `a${i % 3}`, at: `2026-0${1 + (i % 9)}-01T00:00:00.000Z` },
        })),
      });
      const where = {
        actor: 'a1',
        at: { gte: '2026-02-01T00:00:00.000Z', lt: '2026-05-01T00:00:00.000Z' },
      };
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.find(compound, { where, limit: 2, cursor });
        seen.push(...ids(page.items));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(seen).toEqual(['k01', 'k10', 'k19', 'k28']);
      expect(seen).toEqual(
        Array.from({ length: 30 }, (_, i) => i)
          .filter((i) => i % 3 === 1 && 1 + (i % 9) >= 2 && 1 + (i % 9) < 5)
          .map((i) => `k${String(i).padStart(2, '0')}`),
      );
      expect(await store.count(compound, where)).toBe(seen.length);
      await expect(
        store.ensureCollection({ name: compound, compoundIndexes: [['actor']] }),
      ).rejects.toThrow(/two to four/);
      await store.dropCollection(compound);
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

    it('filters a string range: ISO timestamps with gt, gte, lt, lte and several bounds', async () => {
      const t = '2026-11-28T10:00:00.000Z';
      await store.commit({
        writes: [
          put('e1', { expiresAt: '2026-11-27T10:00:00.000Z' }),
          put('e2', { expiresAt: '2026-11-28T09:59:59.999Z' }),
          put('e3', { expiresAt: t }),
          put('e4', { expiresAt: '2026-11-28T10:00:00.001Z' }),
          put('e5', { expiresAt: '2026-12-01T00:00:00.000Z' }),
        ],
      });
      expect(await matching({ expiresAt: { lte: t } })).toEqual(['e1', 'e2', 'e3']);
      expect(await matching({ expiresAt: { lt: t } })).toEqual(['e1', 'e2']);
      expect(await matching({ expiresAt: { gt: t } })).toEqual(['e4', 'e5']);
      expect(await matching({ expiresAt: { gte: t } })).toEqual(['e3', 'e4', 'e5']);
      expect(
        await matching({
          expiresAt: { gte: '2026-11-28T09:59:59.999Z', lt: '2026-11-28T10:00:00.001Z' },
        }),
      ).toEqual(['e2', 'e3']);
      expect(await matching({ expiresAt: { gt: '2026-11-28', lte: '2026-11-29' } })).toEqual([
        'e2',
        'e3',
        'e4',
      ]);
      expect(await matching({ expiresAt: { gt: t, gte: '2026-11-30', lt: '2027' } })).toEqual([
        'e5',
      ]);
      expect(await matching({ expiresAt: { gt: t, lt: t } })).toEqual([]);
      expect(await matching({ id: { gt: 'e1', lte: 'e3' } })).toEqual(['e2', 'e3']);
    });

    it('filters a number range, integers and decimals alike', async () => {
      const scores = { n1: -1.5, n2: 0, n3: 2, n4: 2.5, n5: 10, n6: 100 };
      await store.commit({
        writes: Object.entries(scores).map(([id, score]) => put(id, { score })),
      });
      expect(await matching({ score: { gt: 0 } })).toEqual(['n3', 'n4', 'n5', 'n6']);
      expect(await matching({ score: { gte: 0 } })).toEqual(['n2', 'n3', 'n4', 'n5', 'n6']);
      expect(await matching({ score: { lt: 0 } })).toEqual(['n1']);
      expect(await matching({ score: { lte: 2 } })).toEqual(['n1', 'n2', 'n3']);
      expect(await matching({ score: { gt: 2, lte: 10 } })).toEqual(['n4', 'n5']);
      expect(await matching({ score: { gte: -1.5, lt: 2.5 } })).toEqual(['n1', 'n2', 'n3']);
      expect(await matching({ score: { gt: 2.4, lt: 2.6 } })).toEqual(['n4']);
    });

    it('combines a range with equality filters, a sort and paging', async () => {
      const day = (i: number) => new Date(Date.UTC(2026, 10, 1 + i)).toISOString();
      const docs = Array.from({ length: 40 }, (_, i) => ({
        id: `c${String(i).padStart(2, '0')}`,
        purpose: i % 2 === 0 ? 'newsletter' : 'billing',
        status: i % 3 === 0 ? 'revoked' : 'granted',
        score: i % 4,
        expiresAt: day(i % 30),
      }));
      await store.commit({ writes: docs.map(({ id, ...doc }) => put(id, doc)) });

      const cutoff = day(20);
      const where = {
        purpose: 'newsletter',
        status: 'granted',
        expiresAt: { lte: cutoff },
      };
      const wanted = docs.filter(
        (d) => d.purpose === 'newsletter' && d.status === 'granted' && d.expiresAt <= cutoff,
      );
      expect(wanted.length).toBeGreaterThan(8);
      expect(await store.count(name, where)).toBe(wanted.length);

      const pageThrough = async (
        sort: { field: string; direction: 'asc' | 'desc' },
        filter: Record<string, WhereValue>,
      ) => {
        const seen: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await store.find(name, { where: filter, sort, limit: 3, cursor });
          seen.push(...ids(page.items));
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
        return seen;
      };
      const byExpiryDesc = [...wanted]
        .sort((a, b) => b.expiresAt.localeCompare(a.expiresAt) || b.id.localeCompare(a.id))
        .map((d) => d.id);
      expect(await pageThrough({ field: 'expiresAt', direction: 'desc' }, where)).toEqual(
        byExpiryDesc,
      );
      const byScore = [...wanted]
        .sort((a, b) => a.score - b.score || a.id.localeCompare(b.id))
        .map((d) => d.id);
      expect(await pageThrough({ field: 'score', direction: 'asc' }, where)).toEqual(byScore);

      // Ranges on two fields, one of them the sort field.
      const band = { ...where, score: { gte: 1, lt: 3 } };
      const inBand = wanted.filter((d) => d.score >= 1 && d.score < 3);
      expect(await store.count(name, band)).toBe(inBand.length);
      expect(await pageThrough({ field: 'score', direction: 'desc' }, band)).toEqual(
        [...inBand].sort((a, b) => b.score - a.score || b.id.localeCompare(a.id)).map((d) => d.id),
      );
    });

    it('never matches a missing or null field with a range', async () => {
      await store.commit({
        writes: [
          put('v', { expiresAt: '2026-11-28T10:00:00.000Z', score: 1 }),
          put('n', { expiresAt: null, score: null }),
          put('m', {}),
        ],
      });
      expect(await matching({ expiresAt: { gte: '' } })).toEqual(['v']);
      expect(await matching({ expiresAt: { lt: '\uffff' } })).toEqual(['v']);
      expect(await matching({ score: { gte: -Number.MAX_VALUE } })).toEqual(['v']);
      expect(await matching({ score: { lte: Number.MAX_VALUE } })).toEqual(['v']);
    });

    it('matches a number range only to numbers and a string range only to strings', async () => {
      await store.commit({
        writes: [
          put('num0', { score: 0 }),
          put('num1', { score: 1 }),
          put('num5', { score: 5 }),
          put('str5', { score: '5' }),
          put('str50', { score: '50' }),
          put('strA', { score: 'a' }),
          put('true', { score: true }),
          put('false', { score: false }),
          put('obj', { score: { n: 1 } }),
        ],
      });
      expect(await matching({ score: { gte: 0 } })).toEqual(['num0', 'num1', 'num5']);
      // JSON booleans are not 0 and 1 here, even where the engine stores them so.
      expect(await matching({ score: { gte: 0, lte: 1 } })).toEqual(['num0', 'num1']);
      expect(await matching({ score: { lt: 100 } })).toEqual(['num0', 'num1', 'num5']);
      // Every number would sort before '9' in SQLite, and every string after 0.
      expect(await matching({ score: { lt: '9' } })).toEqual(['str5', 'str50']);
      expect(await matching({ score: { gte: '' } })).toEqual(['str5', 'str50', 'strA']);
      expect(await matching({ score: { gt: '5', lte: 'z' } })).toEqual(['str50', 'strA']);
      // Ids are strings, so a number range on id matches nothing.
      expect(await matching({ id: { gte: 0 } })).toEqual([]);
      expect(await matching({ id: { gte: 'num', lt: 'nun' } })).toEqual(['num0', 'num1', 'num5']);
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

    it('applies a guarded write only while the stored field is missing, not a number, or below the bound', async () => {
      const guarded = (id: string, doc: Record<string, unknown> | null, below: number) => ({
        collection: name,
        id,
        doc: doc as never,
        guard: { field: 'revision', below },
      });
      // Missing document: written.
      await store.commit({ writes: [guarded('g', { revision: 5, v: 'five' }, 5)] });
      expect(await store.get(name, 'g')).toEqual({ revision: 5, v: 'five' });
      // Stored 5: a write carrying 3 or 5 is skipped, the rest of its batch still commits.
      await store.commit({
        writes: [guarded('g', { revision: 3, v: 'three' }, 3), put('other', { status: 'x' })],
      });
      await store.commit({ writes: [guarded('g', { revision: 5, v: 'again' }, 5)] });
      expect(await store.get(name, 'g')).toEqual({ revision: 5, v: 'five' });
      expect(await store.get(name, 'other')).toEqual({ status: 'x' });
      // A guarded delete below the stored number is skipped too; a newer write applies.
      await store.commit({ writes: [guarded('g', null, 4)] });
      expect(await store.get(name, 'g')).toEqual({ revision: 5, v: 'five' });
      await store.commit({ writes: [guarded('g', { revision: 9, v: 'nine' }, 9)] });
      expect(await store.get(name, 'g')).toEqual({ revision: 9, v: 'nine' });
      await store.commit({ writes: [guarded('g', null, 10)] });
      expect(await store.get(name, 'g')).toBeNull();
      // A field that is missing or not a number never blocks.
      await store.commit({ writes: [put('s', { revision: 'high' }), put('m', { status: 'y' })] });
      await store.commit({
        writes: [guarded('s', { revision: 1 }, 1), guarded('m', { revision: 1 }, 1)],
      });
      expect(await store.get(name, 's')).toEqual({ revision: 1 });
      expect(await store.get(name, 'm')).toEqual({ revision: 1 });
    });

    it('orders concurrent guarded writes by their number, whatever order they commit in', async () => {
      const order = Array.from({ length: 12 }, (_, i) => i).sort(() => Math.random() - 0.5);
      await Promise.all(
        order.map((n) =>
          store.commit({
            writes: [
              {
                collection: name,
                id: 'c',
                doc: { revision: n },
                guard: { field: 'revision', below: n },
              },
            ],
          }),
        ),
      );
      expect(await store.get(name, 'c')).toEqual({ revision: 11 });
    });

    it('refuses a guard without a field name or a finite bound', async () => {
      for (const guard of [
        { field: '$x', below: 1 },
        { field: 'revision', below: Number.NaN },
      ])
        await expect(
          store.commit({ writes: [{ collection: name, id: 'a', doc: {}, guard }] }),
        ).rejects.toBeInstanceOf(InvalidReadStoreInputError);
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

    it('commits a batch marked scrub like any other, and refuses a scrub that is not a boolean', async () => {
      await store.commit({ writes: [put('a', { status: 'x' }), put('b', { status: 'y' })] });
      await store.commit({ writes: [{ collection: name, id: 'a', doc: null }], scrub: true });
      expect(await store.get(name, 'a')).toBeNull();
      expect(await store.get(name, 'b')).toEqual({ status: 'y' });
      const error = await store
        .commit({ writes: [{ collection: name, id: 'b', doc: null }], scrub: 'yes' as never })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidReadStoreInputError);
      expect((error as InvalidReadStoreInputError).field).toBe('scrub');
      expect(await store.get(name, 'b')).toEqual({ status: 'y' });
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

    it.each([
      ['an operator key', { $gt: 'x' }, 'where.expiresAt'],
      ['an unknown key', { ne: 'x' }, 'where.expiresAt'],
      ['a bound beside an unknown key', { gt: 'a', lt: 'z', eq: 'm' }, 'where.expiresAt'],
      ['an empty object', {}, 'where.expiresAt'],
      ['only undefined bounds', { gt: undefined }, 'where.expiresAt'],
      ['an array', ['a', 'z'], 'where.expiresAt'],
      ['a null bound', { gt: null }, 'where.expiresAt.gt'],
      ['a boolean bound', { gte: false }, 'where.expiresAt.gte'],
      ['an object bound', { lt: { $date: 'x' } }, 'where.expiresAt.lt'],
      ['an array bound', { lte: ['a'] }, 'where.expiresAt.lte'],
      ['a NaN bound', { gt: NaN }, 'where.expiresAt.gt'],
      ['an infinite bound', { lt: Infinity }, 'where.expiresAt.lt'],
      ['string and number bounds together', { gte: '2026', lt: 2027 }, 'where.expiresAt'],
    ])('rejects a range with %s, in find and count', async (_, range, field) => {
      const where = { status: 'granted', expiresAt: range } as never;
      for (const attempt of [store.find(name, { where }), store.count(name, where)]) {
        const error = await attempt.catch((e: unknown) => e);
        expect(error).toBeInstanceOf(InvalidReadStoreInputError);
        expect((error as InvalidReadStoreInputError).field).toBe(field);
      }
    });

    it('rejects a range on a field that is not indexed', async () => {
      await expect(store.count(name, { secret: { gt: 1 } })).rejects.toBeInstanceOf(
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

/**
 * Leases (`acquireLease`): one holder at a time, renewal keeps it, expiry or a take-over moves
 * it, and of many asking at once exactly one gets it. Names are unique per test.
 */
export function leaseContract(adapter: string, open: () => Promise<ReadStoreFixture>): void {
  describe(`ReadStore leases: ${adapter}`, () => {
    let fixture: ReadStoreFixture;
    let store: ReadStore;
    let name: string;
    const t0 = 1_800_000_000_000;
    beforeEach(async () => {
      fixture = await open();
      store = fixture.store;
      name = `lease_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
    });
    afterEach(() => fixture.dispose());

    it('gives a free lease to the first holder, refuses it to another until it expires, then moves it', async () => {
      expect(await store.getLease(name)).toBeNull();
      const a = await store.acquireLease({ name, holder: 'a', ttlMs: 1000, now: t0 });
      expect(a).toEqual({ name, holder: 'a', acquiredAt: t0, expiresAt: t0 + 1000 });
      // Held and unexpired: b does not get it, and is told who holds it until when.
      const b = await store.acquireLease({ name, holder: 'b', ttlMs: 1000, now: t0 + 999 });
      expect(b).toEqual(a);
      // a renews (a heartbeat): the expiry moves, acquiredAt stays.
      const renewed = await store.acquireLease({ name, holder: 'a', ttlMs: 1000, now: t0 + 500 });
      expect(renewed).toEqual({ name, holder: 'a', acquiredAt: t0, expiresAt: t0 + 1500 });
      expect(
        (await store.acquireLease({ name, holder: 'b', ttlMs: 1000, now: t0 + 1499 })).holder,
      ).toBe('a');
      // a stops renewing (it died): at expiry b takes it.
      const moved = await store.acquireLease({ name, holder: 'b', ttlMs: 1000, now: t0 + 1500 });
      expect(moved).toEqual({ name, holder: 'b', acquiredAt: t0 + 1500, expiresAt: t0 + 2500 });
      // a, back, cannot renew what it lost.
      expect(
        (await store.acquireLease({ name, holder: 'a', ttlMs: 1000, now: t0 + 1600 })).holder,
      ).toBe('b');
      expect(await store.getLease(name)).toEqual(moved);
    });

    it('is taken over from a holder named dead before it expires, and released only by its holder', async () => {
      await store.acquireLease({ name, holder: 'a', ttlMs: 60_000, now: t0 });
      const wrong = await store.acquireLease({
        name,
        holder: 'b',
        ttlMs: 1000,
        now: t0 + 1,
        takeOverFrom: 'someone-else',
      });
      expect(wrong.holder).toBe('a');
      const taken = await store.acquireLease({
        name,
        holder: 'b',
        ttlMs: 1000,
        now: t0 + 1,
        takeOverFrom: 'a',
      });
      expect(taken).toEqual({ name, holder: 'b', acquiredAt: t0 + 1, expiresAt: t0 + 1001 });
      await store.releaseLease(name, 'a');
      expect((await store.getLease(name))?.holder).toBe('b');
      await store.releaseLease(name, 'b');
      expect(await store.getLease(name)).toBeNull();
      expect((await store.acquireLease({ name, holder: 'c', ttlMs: 10, now: t0 + 2 })).holder).toBe(
        'c',
      );
    });

    it('gives the lease to exactly one of many asking at once', async () => {
      const holders = Array.from({ length: 8 }, (_, i) => `h${i}`);
      const answers = await Promise.all(
        holders.map((holder) => store.acquireLease({ name, holder, ttlMs: 5000, now: t0 })),
      );
      const winner = answers[0].holder;
      expect(holders).toContain(winner);
      for (const answer of answers) expect(answer.holder).toBe(winner);
    });

    it('refuses bad names, holders and times', async () => {
      const bad = [
        [{ name: 'Bad-Name', holder: 'a', ttlMs: 10 }, 'name'],
        [{ name, holder: '', ttlMs: 10 }, 'holder'],
        [{ name, holder: 'x'.repeat(201), ttlMs: 10 }, 'holder'],
        [{ name, holder: 'a', ttlMs: 0 }, 'ttlMs'],
        [{ name, holder: 'a', ttlMs: 1.5 }, 'ttlMs'],
        [{ name, holder: 'a', ttlMs: 10, now: -1 }, 'now'],
        [{ name, holder: 'a', ttlMs: 10, takeOverFrom: 7 }, 'takeOverFrom'],
      ] as const;
      for (const [request, field] of bad) {
        const error = await store.acquireLease(request as never).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(InvalidReadStoreInputError);
        expect((error as InvalidReadStoreInputError).field).toBe(field);
      }
      expect(await store.getLease(name)).toBeNull();
    });
  });
}
