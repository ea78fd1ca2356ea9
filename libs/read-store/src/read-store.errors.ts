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
