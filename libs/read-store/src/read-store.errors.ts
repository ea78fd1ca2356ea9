/** A query or write the store cannot accept; nothing was written. */
export class InvalidReadStoreInputError extends Error {
  override readonly name = 'InvalidReadStoreInputError';
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

/** The collection was never created with `ensureCollection`. */
export class UnknownCollectionError extends Error {
  override readonly name = 'UnknownCollectionError';
  constructor(readonly collection: string) {
    super(`unknown collection "${collection}"`);
  }
}

/**
 * The MongoDB deployment cannot hold the read models: a standalone mongod takes no
 * transactions (each batch commits with its checkpoint in one). Raised at start-up.
 */
export class MongoTopologyError extends Error {
  override readonly name = 'MongoTopologyError';
  /** The exit code the entry points stop with (EX_CONFIG). */
  readonly exitCode = 78;
}
