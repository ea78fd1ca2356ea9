import { ErrorType } from '@eventstore/db-client';
import {
  DuplicateEventIdError,
  EventStoreUnavailableError,
  InvalidEventStoreInputError,
  WrongExpectedRevisionError,
} from '../event-store.errors';
import type { ExpectedRevision } from '../event-store.port';

/*
 * Client errors are recognised by their `type` tag rather than `instanceof`, so a second copy of
 * the client package (or a plain object of the same shape) is still recognised.
 */

/** What the failed append asked for; needed to turn the client's error into ours. */
export interface AppendContext {
  stream: string;
  expectedRevision: ExpectedRevision;
  /** The first event id of the append, reported when ids clash. */
  firstEventId: string;
}

/** The errors a subscription survives by resubscribing: the server or the link went away. */
const TRANSIENT: ReadonlySet<string> = new Set([
  ErrorType.UNAVAILABLE,
  ErrorType.DEADLINE_EXCEEDED,
  ErrorType.TIMEOUT,
  ErrorType.CANCELLED,
  ErrorType.UNKNOWN,
  ErrorType.NOT_LEADER,
]);

function typeOf(error: unknown): unknown {
  return typeof error === 'object' && error !== null
    ? (error as { type?: unknown }).type
    : undefined;
}

function isPortError(error: unknown): error is Error {
  return (
    error instanceof WrongExpectedRevisionError ||
    error instanceof InvalidEventStoreInputError ||
    error instanceof DuplicateEventIdError ||
    error instanceof EventStoreUnavailableError
  );
}

export function isStreamNotFound(error: unknown): boolean {
  return typeOf(error) === ErrorType.STREAM_NOT_FOUND;
}

/**
 * Worth a resubscribe: a transient client error, or a Node stream/socket error (string `code`,
 * e.g. ECONNRESET, ERR_STREAM_PREMATURE_CLOSE). Everything else (access denied, our own
 * conversion errors) would fail the same way again, so it ends the subscription.
 */
export function isTransient(error: unknown): boolean {
  const type = typeOf(error);
  if (typeof type === 'string') return TRANSIENT.has(type);
  if (isPortError(error)) return false;
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { code?: unknown }).code === 'string'
  );
}

/** Any failure as a port error; anything unrecognised means the store failed us. */
export function toPortError(error: unknown, doing: string): Error {
  if (isPortError(error)) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new EventStoreUnavailableError(`EventStoreDB: ${doing} failed: ${reason}`, {
    cause: error,
  });
}

/** An append failure as a port error: revision conflicts and id clashes get their own types. */
export function toAppendError(error: unknown, append: AppendContext): Error {
  switch (typeOf(error)) {
    case ErrorType.WRONG_EXPECTED_VERSION: {
      const actual = (error as { actualVersion?: unknown }).actualVersion;
      return wrongExpectedRevision(append, typeof actual === 'bigint' ? actual : 'no_stream');
    }
    case ErrorType.MAXIMUM_APPEND_SIZE_EXCEEDED:
      return new InvalidEventStoreInputError(
        'events',
        `together exceed the server's maximum append size (${String((error as { maxAppendSize?: unknown }).maxAppendSize)} bytes)`,
      );
    default:
      return toPortError(error, `append to "${append.stream}"`);
  }
}

/**
 * The server answers "wrong expected version" both for a real conflict and when an append's
 * ids only partly match events already in the stream. With `any`, or `stream_exists` on a
 * stream that exists, only the second is possible, so that is a duplicate id, as in SQLite.
 */
export function wrongExpectedRevision(
  append: AppendContext,
  actual: bigint | 'no_stream',
): WrongExpectedRevisionError | DuplicateEventIdError {
  const exists = actual !== 'no_stream' && actual >= 0n;
  const { stream, expectedRevision } = append;
  if (expectedRevision === 'any' || (expectedRevision === 'stream_exists' && exists)) {
    return new DuplicateEventIdError(stream, append.firstEventId);
  }
  return new WrongExpectedRevisionError(
    stream,
    String(expectedRevision),
    exists ? String(actual) : 'no_stream',
  );
}
