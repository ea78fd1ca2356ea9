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
