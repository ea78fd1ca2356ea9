import type { WriteBatch } from '../read-store.port';
import { bulkOperations, guardedReplace } from './mongo-writes';

describe('mongo-writes', () => {
  it('writes unconditionally without a checkpoint', () => {
    const ops = bulkOperations({
      writes: [
        { collection: 'a', id: '1', doc: { x: 1 } },
        { collection: 'a', id: '2', doc: null },
      ],
    });
    expect(ops).toEqual(
      new Map([
        [
          'a',
          [
            { replaceOne: { filter: { _id: '1' }, replacement: { d: { x: 1 } }, upsert: true } },
            { deleteOne: { filter: { _id: '2' } } },
          ],
        ],
      ]),
    );
  });

  it('guards upserts and deletes by the checkpoint sequence', () => {
    const ops = bulkOperations({
      writes: [
        { collection: 'a', id: '1', doc: { x: 1 } },
        { collection: 'b', id: '2', doc: null },
      ],
      checkpoint: { name: 'cp', position: 'p', sequence: 12 },
    });
    expect(ops.get('a')).toEqual([
      {
        updateOne: {
          filter: { _id: '1' },
          update: guardedReplace('1', { x: 1 }, 12),
          upsert: true,
        },
      },
    ]);
    expect(ops.get('b')).toEqual([
      {
        deleteOne: {
          filter: { _id: '2', $or: [{ _seq: { $lt: 12 } }, { _seq: { $exists: false } }] },
        },
      },
    ]);
  });

  it('guards a write by a number field of the stored document, alone or with the checkpoint', () => {
    const guard = { field: 'revision', below: 7 };
    const alone = bulkOperations({
      writes: [
        { collection: 'a', id: '1', doc: { revision: 7 }, guard },
        { collection: 'a', id: '2', doc: null, guard },
      ],
    });
    expect(alone.get('a')).toEqual([
      {
        updateOne: {
          filter: { _id: '1' },
          update: guardedReplace('1', { revision: 7 }, undefined, guard),
          upsert: true,
        },
      },
      { deleteOne: { filter: { _id: '2', 'd.revision': { $not: { $gte: 7 } } } } },
    ]);
    expect(guardedReplace('1', { revision: 7 }, undefined, guard)).toEqual([
      {
        $replaceWith: {
          $cond: [
            { $and: [{ $isNumber: '$d.revision' }, { $gte: ['$d.revision', 7] }] },
            '$$ROOT',
            { _id: { $literal: '1' }, d: { $literal: { revision: 7 } } },
          ],
        },
      },
    ]);
    const both = guardedReplace('1', { revision: 7 }, 12, guard)[0].$replaceWith.$cond;
    expect(both[0]).toEqual({
      $or: [
        { $gte: ['$_seq', 12] },
        { $and: [{ $isNumber: '$d.revision' }, { $gte: ['$d.revision', 7] }] },
      ],
    });
    expect(both[2]._seq).toBe(12);
  });

  it('keeps the stored document when its sequence is not older, wrapping caller data in $literal', () => {
    expect(guardedReplace('$id', { s: '$x' }, 3)).toEqual([
      {
        $replaceWith: {
          $cond: [
            { $gte: ['$_seq', 3] },
            '$$ROOT',
            { _id: { $literal: '$id' }, d: { $literal: { s: '$x' } }, _seq: 3 },
          ],
        },
      },
    ]);
  });

  it('keeps only the last write to an id, so a batch is last-write-wins', () => {
    const batch: WriteBatch = {
      writes: [
        { collection: 'a', id: '1', doc: { v: 1 } },
        { collection: 'a', id: '2', doc: { v: 2 } },
        { collection: 'a', id: '1', doc: null },
        { collection: 'b', id: '1', doc: { v: 3 } },
      ],
    };
    const ops = bulkOperations(batch);
    expect(ops.get('a')).toEqual([
      { replaceOne: { filter: { _id: '2' }, replacement: { d: { v: 2 } }, upsert: true } },
      { deleteOne: { filter: { _id: '1' } } },
    ]);
    expect(ops.get('b')).toHaveLength(1);
  });

  it('has no operations for a batch without writes', () => {
    expect(
      bulkOperations({ writes: [], checkpoint: { name: 'c', position: 'p', sequence: 0 } }).size,
    ).toBe(0);
  });
});
