/** The one error every adapter throws when `expectedRevision` does not hold. */
export class WrongExpectedRevisionError extends Error {
  override readonly name = 'WrongExpectedRevisionError';
  constructor(
    readonly stream: string,
    readonly expected: string,
    /** The stream's actual last revision, or 'no_stream'. */
    readonly actual: string,
  ) {
    super(`Wrong expected revision on stream "${stream}": expected ${expected}, actual ${actual}`);
  }
}

/** A caller handed the port something it cannot store or understand; nothing was written. */
export class InvalidEventStoreInputError extends Error {
  override readonly name = 'InvalidEventStoreInputError';
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

/** Some of an append's event ids are already stored, but not as this same append. */
export class DuplicateEventIdError extends Error {
  override readonly name = 'DuplicateEventIdError';
  constructor(
    readonly stream: string,
    readonly eventId: string,
  ) {
    super(
      `Event id ${eventId} is already stored, and not as a retry of this append to "${stream}"`,
    );
  }
}

/** The store could not be reached or failed; the append may or may not have happened. */
export class EventStoreUnavailableError extends Error {
  override readonly name = 'EventStoreUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
