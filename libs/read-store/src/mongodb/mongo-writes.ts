/**
 * Turns a validated WriteBatch into bulk-write operations per Mongo collection. Pure, so the
 * replay guard's exact shape is unit-tested without a server.
 */
import type { AnyBulkWriteOperation, Document } from 'mongodb';
import type { WriteBatch } from '../read-store.port';
import type { StoredModel } from './mongo-query';

/**
 * Operations keyed by read-store collection name. Only the last write to an id counts (each
 * write is a whole document or a delete), which keeps SQLite's last-write-wins within a batch
 * even though every write of the batch carries the same sequence.
 *
 * With a checkpoint, each write applies only if the stored `_seq` is missing or lower than the
 * batch's sequence, so replaying an applied event never changes a document. The upsert decides
 * inside an update pipeline rather than by filtering on `_seq`: a filtered upsert that misses an
 * existing id fails with a duplicate key, and any error aborts a Mongo transaction.
 */
export function bulkOperations(
  batch: WriteBatch,
): Map<string, AnyBulkWriteOperation<StoredModel>[]> {
  const last = new Map<string, WriteBatch['writes'][number]>();
  for (const write of batch.writes) {
    const key = JSON.stringify([write.collection, write.id]);
    last.delete(key); // re-insert so the map keeps the order of the last writes
    last.set(key, write);
  }
  const sequence = batch.checkpoint?.sequence;
  const byCollection = new Map<string, AnyBulkWriteOperation<StoredModel>[]>();
  for (const { collection, id, doc, guard } of last.values()) {
    let op: AnyBulkWriteOperation<StoredModel>;
    if (doc === null) {
      const filter = sequence === undefined ? { _id: id } : olderThan(id, sequence);
      op = { deleteOne: { filter: guard ? { ...filter, ...guardAllows(guard) } : filter } };
    } else if (sequence === undefined && !guard) {
      op = { replaceOne: { filter: { _id: id }, replacement: { d: doc }, upsert: true } };
    } else {
      op = {
        updateOne: {
          filter: { _id: id },
          update: guardedReplace(id, doc, sequence, guard),
          upsert: true,
        },
      };
    }
    const ops = byCollection.get(collection) ?? [];
    ops.push(op);
    byCollection.set(collection, ops);
  }
  return byCollection;
}

/** Matches the document only when it was last written before `sequence` (or unguarded). */
export function olderThan(id: string, sequence: number): Document {
  return { _id: id, $or: [{ _seq: { $lt: sequence } }, { _seq: { $exists: false } }] };
}

/** Matches a stored document whose guarded field is missing, not a number, or below the bound. */
export function guardAllows(guard: { field: string; below: number }): Document {
  return { [`d.${guard.field}`]: { $not: { $gte: guard.below } } };
}

/**
 * Keeps the stored document ($$ROOT) when its `_seq` is already >= `sequence`, or when the
 * write's guard field is already a number >= its bound; else replaces it. On an upsert the
 * pipeline starts from `{ _id }`, whose missing `_seq` and fields keep nothing. `$literal`
 * stops strings in the document being read as field paths or operators.
 */
export function guardedReplace(
  id: string,
  doc: StoredModel['d'],
  sequence?: number,
  guard?: { field: string; below: number },
): Document[] {
  const keep: Document[] = [];
  if (sequence !== undefined) keep.push({ $gte: ['$_seq', sequence] });
  if (guard) {
    const path = `$d.${guard.field}`;
    keep.push({ $and: [{ $isNumber: path }, { $gte: [path, guard.below] }] });
  }
  return [
    {
      $replaceWith: {
        $cond: [
          keep.length === 1 ? keep[0] : { $or: keep },
          '$$ROOT',
          {
            _id: { $literal: id },
            d: { $literal: doc },
            ...(sequence === undefined ? {} : { _seq: sequence }),
          },
        ],
      },
    },
  ];
}
