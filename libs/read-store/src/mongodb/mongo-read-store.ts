import type { JsonObject } from '@custodian/domain';
import { Collection, Db, MongoClient, MongoClientOptions, WriteConcern } from 'mongodb';
import {
  InvalidReadStoreInputError,
  MongoTopologyError,
  UnknownCollectionError,
} from '../read-store.errors';
import type {
  Checkpoint,
  CollectionSpec,
  FindPage,
  FindQuery,
  Lease,
  LeaseRequest,
  ReadStore,
  WhereValue,
  WriteBatch,
} from '../read-store.port';
import {
  encodeCursor,
  normalizeQuery,
  validateBatch,
  validateCollectionName,
  validateId,
  validateIds,
  validateLeaseHolder,
  validateLeaseName,
  validateLeaseRequest,
  validateSpec,
} from '../read-store.validation';
import {
  StoredModel,
  findFilter,
  fieldPath,
  sortSpec,
  sortValue,
  whereFilter,
} from './mongo-query';
import { bulkOperations } from './mongo-writes';

export type MongoReadStoreOptions = { database: string } & (
  | { uri: string; clientOptions?: MongoClientOptions }
  /** A client owned by the caller: `close()` leaves it open. */
  | { client: MongoClient }
);

interface RegistryEntry {
  _id: string;
  indexes: string[];
}

interface StoredCheckpoint {
  _id: string;
  position: string;
  sequence: number;
  updatedAt: Date;
}

interface StoredLease {
  _id: string;
  holder: string;
  acquiredAt: number;
  expiresAt: number;
}

interface CollectionInfo {
  coll: Collection<StoredModel>;
  indexes: string[];
}

const NAMESPACE_EXISTS = 48;
const DUPLICATE_KEY = 11000;
/** Ids are at most 512 characters, so this keeps each `$in` query well under 16 MB. */
const GET_MANY_CHUNK = 1000;

/**
 * Read models in MongoDB: a collection `rm_<name>` per read-store collection holding
 * `{ _id, d: <document>, _seq }`, with an index on (d.<field>, _id) per declared field.
 * `rm__collections` records declared collections and indexes, `rm__checkpoints` the
 * checkpoints (double underscore: names start with a letter, so these never clash).
 * A batch and its checkpoint commit in one majority-acknowledged transaction, which needs a
 * replica set or sharded cluster.
 */
export class MongoReadStore implements ReadStore {
  private readonly client: MongoClient;
  private readonly ownsClient: boolean;
  private readonly db: Db;
  private readonly registry: Collection<RegistryEntry>;
  private readonly checkpoints: Collection<StoredCheckpoint>;
  private readonly leases: Collection<StoredLease>;
  /** Like the SQLite adapter, caches what this process learnt; ensure/drop here refresh it. */
  private readonly collections = new Map<string, CollectionInfo>();
  private closed = false;
  /** The bookkeeping collections, created once before the first transaction. */
  private prepared: Promise<void> | undefined;

  constructor(options: MongoReadStoreOptions) {
    if ('client' in options) {
      this.client = options.client;
      this.ownsClient = false;
    } else {
      // No I/O here: the driver connects on the first operation.
      this.client = new MongoClient(options.uri, options.clientOptions);
      this.ownsClient = true;
    }
    this.db = this.client.db(options.database);
    this.registry = this.db.collection<RegistryEntry>('rm__collections');
    this.checkpoints = this.db.collection<StoredCheckpoint>('rm__checkpoints');
    this.leases = this.db.collection<StoredLease>('rm__leases');
  }

  /**
   * Refuses a deployment that cannot take transactions: a standalone mongod (its `hello`
   * answer has no `setName`; a mongos says `msg: "isdbgrid"`). Called at start-up, before
   * anything is written, so the app stops with this message instead of failing every commit.
   */
  async assertTopology(): Promise<void> {
    const hello = (await this.db.admin().command({ hello: 1 })) as {
      setName?: unknown;
      msg?: unknown;
    };
    if (typeof hello.setName === 'string' || hello.msg === 'isdbgrid') return;
    throw new MongoTopologyError(
      'MONGODB_URI points at a standalone mongod: the read store commits each batch with its ' +
        'checkpoint in a transaction, which needs a replica set (a single-node one will do: ' +
        'start mongod with --replSet rs0 and run rs.initiate(), see docker/docker-compose.yml) ' +
        'or a sharded cluster',
    );
  }

  async ensureCollection(spec: CollectionSpec): Promise<void> {
    const { name, indexes, compoundIndexes } = validateSpec(spec);
    // Created up front so commits never create collections inside a transaction.
    await this.db.createCollection(mongoName(name)).catch((error: unknown) => {
      if (errorCode(error) !== NAMESPACE_EXISTS) throw error;
    });
    if (indexes.length > 0) {
      await this.db
        .collection(mongoName(name))
        .createIndexes(
          indexes.map((field) => ({ key: { [fieldPath(field)]: 1, _id: 1 }, name: field })),
        );
    }
    if (compoundIndexes.length > 0) {
      await this.db.collection(mongoName(name)).createIndexes(
        compoundIndexes.map((fields) => ({
          key: { ...Object.fromEntries(fields.map((f) => [fieldPath(f), 1])), _id: 1 },
          name: fields.join('+'),
        })),
      );
    }
    // Registered last, so a registered collection always has its indexes.
    await this.registry.updateOne(
      { _id: name },
      { $addToSet: { indexes: { $each: indexes } } },
      { upsert: true },
    );
    this.collections.delete(name);
  }

  async dropCollection(name: string): Promise<void> {
    validateCollectionName(name);
    // The driver already treats "ns not found" as nothing to drop. Dropping before
    // unregistering means a crash in between can never resurrect old documents.
    await this.db.dropCollection(mongoName(name));
    await this.registry.deleteOne({ _id: name });
    this.collections.delete(name);
  }

  async get(collection: string, id: string): Promise<JsonObject | null> {
    validateId(id);
    const { coll } = await this.collection(collection);
    const row = await coll.findOne({ _id: id }, { projection: { d: 1 } });
    return row ? row.d : null;
  }

  async getMany(collection: string, ids: readonly string[]): Promise<Map<string, JsonObject>> {
    validateIds(ids);
    const { coll } = await this.collection(collection);
    const found = new Map<string, JsonObject>();
    for (let i = 0; i < ids.length; i += GET_MANY_CHUNK) {
      const chunk = ids.slice(i, i + GET_MANY_CHUNK);
      const rows = coll.find({ _id: { $in: chunk } }, { projection: { d: 1 } });
      for await (const row of rows) found.set(row._id, row.d);
    }
    return found;
  }

  async find(collection: string, query: FindQuery = {}): Promise<FindPage> {
    const { coll, indexes } = await this.collection(collection);
    const q = normalizeQuery(query, indexes);
    const rows = await coll
      .find(findFilter(q), {
        sort: sortSpec(q.sortField, q.descending),
        limit: q.limit + 1,
        projection: { d: 1 },
      })
      .toArray();
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    return {
      items: page.map((row) => ({ id: row._id, doc: row.d })),
      nextCursor:
        rows.length > q.limit && last ? encodeCursor(sortValue(last, q.sortField), last._id) : null,
    };
  }

  async count(collection: string, where: Record<string, WhereValue> = {}): Promise<number> {
    const { coll, indexes } = await this.collection(collection);
    const q = normalizeQuery({ where }, indexes);
    return coll.countDocuments(whereFilter(q.where));
  }

  async commit(batch: WriteBatch): Promise<void> {
    // Everything is checked before the transaction starts, so bad input writes nothing.
    // `scrub` changes nothing here: a deleted document's bytes stay in WiredTiger's files until
    // the space is reused, and its insert stays in the replica set's oplog (a capped collection
    // no client can delete from) until the oplog rolls over. Neither can be cleared from the
    // application (`compact` is an administrative, collection-locking command and still leaves
    // the oplog); a MongoDB deployment relies on encryption at rest and its oplog window.
    validateBatch(batch);
    const targets = new Map<string, CollectionInfo>();
    for (const write of batch.writes) {
      if (!targets.has(write.collection)) {
        targets.set(write.collection, await this.collection(write.collection));
      }
    }
    const operations = bulkOperations(batch);
    const checkpoint = batch.checkpoint;
    if (operations.size === 0 && !checkpoint) return;
    // Created once, outside any transaction: creating it inside concurrent first transactions
    // makes them conflict.
    await this.prepare();

    await this.client
      .withSession((session) =>
        // withTransaction retries transient errors by calling this again; it only writes
        // precomputed operations, so a retry is harmless.
        session.withTransaction(
          async () => {
            for (const [name, { coll }] of targets) {
              const ops = operations.get(name);
              if (ops) await coll.bulkWrite(ops, { session, ordered: true });
            }
            if (checkpoint) {
              await this.checkpoints.updateOne(
                { _id: checkpoint.name },
                {
                  $set: {
                    position: checkpoint.position,
                    sequence: checkpoint.sequence,
                    updatedAt: new Date(),
                  },
                },
                { upsert: true, session },
              );
            }
          },
          {
            readConcern: { level: 'snapshot' },
            writeConcern: new WriteConcern('majority'),
            readPreference: 'primary',
          },
        ),
      )
      .catch((error: unknown) => {
        // Not transient: retrying cannot help, so say what is wrong instead.
        if (isStandaloneError(error))
          throw new MongoTopologyError(
            'MongoDB refused a transaction: the server is not a replica set member (start mongod with --replSet and rs.initiate())',
          );
        throw error;
      });
  }

  private prepare(): Promise<void> {
    this.prepared ??= Promise.all(
      ['rm__checkpoints', 'rm__collections'].map((name) =>
        this.db.createCollection(name).then(
          () => undefined,
          (error: unknown) => {
            if (errorCode(error) !== NAMESPACE_EXISTS) throw error;
          },
        ),
      ),
    )
      .then(() => undefined)
      .catch((error: unknown) => {
        this.prepared = undefined;
        throw error;
      });
    return this.prepared;
  }

  async getCheckpoint(name: string): Promise<Checkpoint | null> {
    // A non-string here would be read as a query operator, not a name.
    if (typeof name !== 'string') throw new InvalidReadStoreInputError('name', 'must be a string');
    const row = await this.checkpoints.findOne({ _id: name });
    return row ? { position: row.position, sequence: row.sequence } : null;
  }

  async acquireLease(request: LeaseRequest): Promise<Lease> {
    const { name, holder, ttlMs, now, takeOverFrom } = validateLeaseRequest(request);
    const takeable: object[] = [{ holder }, { expiresAt: { $lte: now } }];
    if (takeOverFrom !== null) takeable.push({ holder: takeOverFrom });
    try {
      // One document update is atomic. If the lease is held by another (the filter matches
      // nothing), the upsert tries to insert a second document with the same _id and fails
      // with a duplicate key: the lease stays where it is.
      await this.leases.updateOne(
        { _id: name, $or: takeable },
        [
          {
            $set: {
              // $literal: a holder starting with "$" must not be read as a field path.
              acquiredAt: {
                $cond: [{ $eq: ['$holder', { $literal: holder }] }, '$acquiredAt', now],
              },
              holder: { $literal: holder },
              expiresAt: now + ttlMs,
            },
          },
        ],
        { upsert: true, writeConcern: { w: 'majority' } },
      );
    } catch (error) {
      if (errorCode(error) !== DUPLICATE_KEY) throw error;
    }
    return (await this.getLease(name))!;
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    validateLeaseName(name);
    validateLeaseHolder(holder);
    await this.leases.deleteOne({ _id: name, holder }, { writeConcern: { w: 'majority' } });
  }

  async getLease(name: string): Promise<Lease | null> {
    validateLeaseName(name);
    const row = await this.leases.findOne({ _id: name }, { readPreference: 'primary' });
    return row
      ? { name, holder: row.holder, acquiredAt: row.acquiredAt, expiresAt: row.expiresAt }
      : null;
  }

  async ping(): Promise<void> {
    // The driver would silently reconnect a closed client, so say it is closed, as SQLite does.
    if (this.closed) throw new Error('read store is closed');
    await this.db.command({ ping: 1 });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsClient) await this.client.close();
  }

  private async collection(name: string): Promise<CollectionInfo> {
    const cached = this.collections.get(name);
    if (cached) return cached;
    validateCollectionName(name);
    const entry = await this.registry.findOne({ _id: name });
    if (!entry) throw new UnknownCollectionError(name);
    const info: CollectionInfo = {
      coll: this.db.collection<StoredModel>(mongoName(name)),
      indexes: entry.indexes,
    };
    this.collections.set(name, info);
    return info;
  }
}

/** Names are validated to [a-z0-9_] starting with a letter. */
function mongoName(collection: string): string {
  return `rm_${collection}`;
}

/** "Transaction numbers are only allowed on a replica set member or mongos" (IllegalOperation). */
export function isStandaloneError(error: unknown): boolean {
  return (
    errorCode(error) === 20 &&
    /only allowed on a replica set member or mongos/i.test((error as Error).message ?? '')
  );
}

function errorCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}
