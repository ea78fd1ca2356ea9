import { InvalidReadStoreInputError } from '../read-store.errors';
import { encodeCursor, normalizeQuery } from '../read-store.validation';
import { findFilter, keysetFilter, sortSpec, sortValue, whereFilter } from './mongo-query';

describe('mongo-query', () => {
  describe('whereFilter', () => {
    it('maps id to _id and fields under d, keeping booleans and null as equality', () => {
      expect(
        whereFilter([
          ['id', 'a'],
          ['status', 'granted'],
          ['active', false],
          ['score', 3],
          ['purpose', null],
        ]),
      ).toEqual({
        _id: 'a',
        'd.status': 'granted',
        'd.active': false,
        'd.score': 3,
        'd.purpose': null,
      });
    });

    it('is empty without conditions', () => {
      expect(whereFilter([])).toEqual({});
    });

    const indexes = ['status', 'score', 'expiresAt'];
    const where = (w: Record<string, unknown>) =>
      whereFilter(normalizeQuery({ where: w as never }, indexes).where);

    it('maps a range to $gt/$gte/$lt/$lte on the field, in a fixed order, without absent bounds', () => {
      const filter = where({
        expiresAt: { lte: '2026-11-28T10:00:00.000Z', gt: '2026-11-01', lt: undefined },
      });
      expect(filter).toEqual({
        'd.expiresAt': { $gt: '2026-11-01', $lte: '2026-11-28T10:00:00.000Z' },
      });
      expect(Object.keys((filter as Record<string, object>)['d.expiresAt']!)).toEqual([
        '$gt',
        '$lte',
      ]);
      expect(where({ score: { gte: 0, lt: 2.5 } })).toEqual({ 'd.score': { $gte: 0, $lt: 2.5 } });
      expect(where({ score: { gt: -1, gte: 0, lt: 9, lte: 10 } })).toEqual({
        'd.score': { $gt: -1, $gte: 0, $lt: 9, $lte: 10 },
      });
    });

    it('puts ranges beside equality conditions, and a range on id on _id', () => {
      expect(
        where({
          status: 'granted',
          id: { gte: 'k' },
          expiresAt: { lte: '2026-11-28T10:00:00.000Z' },
        }),
      ).toEqual({
        'd.status': 'granted',
        _id: { $gte: 'k' },
        'd.expiresAt': { $lte: '2026-11-28T10:00:00.000Z' },
      });
    });

    it('never passes on operators from the caller', () => {
      expect(() => where({ status: { $gt: '' } })).toThrow(InvalidReadStoreInputError);
      expect(() => where({ status: { gt: { $ne: null } } })).toThrow(InvalidReadStoreInputError);
    });
  });

  describe('sortSpec', () => {
    it('sorts by the field then _id, in one direction', () => {
      expect(sortSpec('score', false)).toEqual({ 'd.score': 1, _id: 1 });
      expect(sortSpec('score', true)).toEqual({ 'd.score': -1, _id: -1 });
      expect(Object.keys(sortSpec('score', true))).toEqual(['d.score', '_id']);
    });

    it('sorts by _id alone when sorting by id', () => {
      expect(sortSpec('id', false)).toEqual({ _id: 1 });
      expect(sortSpec('id', true)).toEqual({ _id: -1 });
    });
  });

  describe('keysetFilter', () => {
    it('pages by _id alone when sorting by id', () => {
      expect(keysetFilter('id', false, 'k', 'k')).toEqual({ _id: { $gt: 'k' } });
      expect(keysetFilter('id', true, 'k', 'k')).toEqual({ _id: { $lt: 'k' } });
    });

    it('ascending after a number: larger numbers, equal numbers with larger ids, later types', () => {
      expect(keysetFilter('score', false, 7, 'x')).toEqual({
        $or: [
          { 'd.score': { $gt: 7 } },
          { 'd.score': 7, _id: { $gt: 'x' } },
          { 'd.score': { $type: ['string', 'bool'] } },
        ],
      });
    });

    it('descending after a number: smaller numbers, equal numbers with smaller ids, then nulls', () => {
      expect(keysetFilter('score', true, 7, 'x')).toEqual({
        $or: [{ 'd.score': { $lt: 7 } }, { 'd.score': 7, _id: { $lt: 'x' } }, { 'd.score': null }],
      });
    });

    it('brackets strings between numbers and booleans', () => {
      expect(keysetFilter('status', false, 'm', 'x')).toEqual({
        $or: [
          { 'd.status': { $gt: 'm' } },
          { 'd.status': 'm', _id: { $gt: 'x' } },
          { 'd.status': { $type: ['bool'] } },
        ],
      });
      expect(keysetFilter('status', true, 'm', 'x')).toEqual({
        $or: [
          { 'd.status': { $lt: 'm' } },
          { 'd.status': 'm', _id: { $lt: 'x' } },
          { 'd.status': { $type: ['number'] } },
          { 'd.status': null },
        ],
      });
    });

    it('treats booleans as the last scalar type', () => {
      expect(keysetFilter('active', false, false, 'x')).toEqual({
        $or: [{ 'd.active': { $gt: false } }, { 'd.active': false, _id: { $gt: 'x' } }],
      });
      expect(keysetFilter('active', true, true, 'x')).toEqual({
        $or: [
          { 'd.active': { $lt: true } },
          { 'd.active': true, _id: { $lt: 'x' } },
          { 'd.active': { $type: ['number', 'string'] } },
          { 'd.active': null },
        ],
      });
    });

    it('ascending after null: later nulls (or missing), then every non-null value', () => {
      expect(keysetFilter('score', false, null, 'x')).toEqual({
        $or: [{ 'd.score': null, _id: { $gt: 'x' } }, { 'd.score': { $ne: null } }],
      });
    });

    it('descending after null: only earlier-id nulls (or missing) remain', () => {
      expect(keysetFilter('score', true, null, 'x')).toEqual({
        'd.score': null,
        _id: { $lt: 'x' },
      });
    });
  });

  describe('findFilter', () => {
    const indexes = ['status', 'score'];

    it('is the where filter on a first page', () => {
      expect(findFilter(normalizeQuery({ where: { status: 'granted' } }, indexes))).toEqual({
        'd.status': 'granted',
      });
    });

    it('is the keyset filter alone when paging without conditions', () => {
      const q = normalizeQuery({ cursor: encodeCursor('b', 'b') }, indexes);
      expect(findFilter(q)).toEqual({ _id: { $gt: 'b' } });
    });

    it('joins where and keyset with $and so two _id terms cannot overwrite each other', () => {
      const q = normalizeQuery(
        { where: { id: 'b', status: true }, cursor: encodeCursor('a', 'a') },
        indexes,
      );
      expect(findFilter(q)).toEqual({
        $and: [{ _id: 'b', 'd.status': true }, { _id: { $gt: 'a' } }],
      });
    });

    it('joins a range on the sort field and the keyset with $and', () => {
      const q = normalizeQuery(
        { where: { score: { gte: 3 } }, sort: { field: 'score' }, cursor: encodeCursor(5, 'x') },
        indexes,
      );
      expect(findFilter(q)).toEqual({
        $and: [
          { 'd.score': { $gte: 3 } },
          {
            $or: [
              { 'd.score': { $gt: 5 } },
              { 'd.score': 5, _id: { $gt: 'x' } },
              { 'd.score': { $type: ['string', 'bool'] } },
            ],
          },
        ],
      });
    });

    it('decodes the cursor value and id for the sort field', () => {
      const q = normalizeQuery(
        { sort: { field: 'score', direction: 'desc' }, cursor: encodeCursor(null, 'k') },
        indexes,
      );
      expect(findFilter(q)).toEqual({ 'd.score': null, _id: { $lt: 'k' } });
    });
  });

  describe('sortValue', () => {
    it('reads the sort field, with missing as null and id as _id', () => {
      const row = { _id: 'k', d: { score: 3, status: null, active: true } };
      expect(sortValue(row, 'score')).toBe(3);
      expect(sortValue(row, 'status')).toBeNull();
      expect(sortValue(row, 'active')).toBe(true);
      expect(sortValue(row, 'purpose')).toBeNull();
      expect(sortValue(row, 'id')).toBe('k');
    });

    it('refuses to page on an object or array instead of skipping documents', () => {
      expect(() => sortValue({ _id: 'k', d: { score: [1, 2] } }, 'score')).toThrow(
        InvalidReadStoreInputError,
      );
      expect(() => sortValue({ _id: 'k', d: { score: { a: 1 } } }, 'score')).toThrow(
        InvalidReadStoreInputError,
      );
    });
  });
});
