import {
  AccessDeniedError,
  DeadlineExceededError,
  ErrorType,
  InvalidArgumentError,
  MaxAppendSizeExceededError,
  StreamDeletedError,
  StreamNotFoundError,
  UnavailableError,
  UnknownError,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import {
  DuplicateEventIdError,
  EventStoreUnavailableError,
  InvalidEventStoreInputError,
  WrongExpectedRevisionError,
} from '../event-store.errors';
import type { ExpectedRevision } from '../event-store.port';
import {
  isStreamNotFound,
  isTransient,
  toAppendError,
  toPortError,
  type AppendContext,
} from './esdb-errors';

const EVENT_ID = '9b7d1c52-2b3f-4c55-8a4e-0d1f2e3a4b5c';
const append = (expectedRevision: ExpectedRevision): AppendContext => ({
  stream: 'consent-1',
  expectedRevision,
  firstEventId: EVENT_ID,
});
const wrongVersion = (current: bigint | 'no_stream', expected: bigint | 'no_stream' = 0n) =>
  new WrongExpectedVersionError(undefined, { streamName: 'consent-1', expected, current });

describe('ESDB error mapping', () => {
  describe('appends', () => {
    it.each([
      [0n, wrongVersion(3n), '0', '3'],
      [5n, wrongVersion(3n, 5n), '5', '3'],
      [0n, wrongVersion('no_stream'), '0', 'no_stream'],
      ['no_stream', wrongVersion(1n, 'no_stream'), 'no_stream', '1'],
      ['stream_exists', wrongVersion('no_stream'), 'stream_exists', 'no_stream'],
    ] as const)(
      'maps a wrong expected version (expected %p) to WrongExpectedRevisionError',
      (expected, error, expectedText, actualText) => {
        const mapped = toAppendError(error, append(expected));
        expect(mapped).toBeInstanceOf(WrongExpectedRevisionError);
        expect(mapped).toMatchObject({
          stream: 'consent-1',
          expected: expectedText,
          actual: actualText,
        });
      },
    );

    it('reads a negative actual revision as no stream', () => {
      const mapped = toAppendError(wrongVersion(-1n), append(0n));
      expect(mapped).toMatchObject({ actual: 'no_stream' });
    });

    it('recognises a plain object of the same shape', () => {
      const mapped = toAppendError(
        { type: ErrorType.WRONG_EXPECTED_VERSION, actualVersion: 7n },
        append(2n),
      );
      expect(mapped).toBeInstanceOf(WrongExpectedRevisionError);
      expect(mapped).toMatchObject({ expected: '2', actual: '7' });
    });

    // The server answers "wrong expected version" when an append's ids only partly match
    // events already stored; with these expectations nothing else can cause it.
    it.each([
      ['any', wrongVersion(4n)],
      ['stream_exists', wrongVersion(4n)],
    ] as const)(
      'maps a wrong expected version under %s to DuplicateEventIdError',
      (expected, e) => {
        const mapped = toAppendError(e, append(expected));
        expect(mapped).toBeInstanceOf(DuplicateEventIdError);
        expect(mapped).toMatchObject({ stream: 'consent-1', eventId: EVENT_ID });
      },
    );

    it('maps an oversized append to InvalidEventStoreInputError on events', () => {
      const mapped = toAppendError(
        MaxAppendSizeExceededError.fromMaxAppendSize(1024),
        append('any'),
      );
      expect(mapped).toBeInstanceOf(InvalidEventStoreInputError);
      expect(mapped.message).toMatch(/^events: .*1024 bytes/);
    });

    it.each([
      new UnavailableError(),
      new AccessDeniedError(),
      StreamDeletedError.fromStreamName('consent-1'),
      new Error('socket hang up'),
    ])('maps anything else (%p) to EventStoreUnavailableError with the cause', (error) => {
      const mapped = toAppendError(error, append('any'));
      expect(mapped).toBeInstanceOf(EventStoreUnavailableError);
      expect(mapped.cause).toBe(error);
      expect(mapped.message).toContain('append to "consent-1"');
    });
  });

  describe('any operation', () => {
    it('passes port errors through untouched', () => {
      for (const error of [
        new WrongExpectedRevisionError('s', '1', '2'),
        new InvalidEventStoreInputError('position', 'bad'),
        new DuplicateEventIdError('s', EVENT_ID),
        new EventStoreUnavailableError('down'),
      ]) {
        expect(toPortError(error, 'reading')).toBe(error);
      }
    });

    it('never lets a client error through', () => {
      for (const error of [
        new UnavailableError(),
        new UnknownError(),
        new InvalidArgumentError('bad'),
        'a string',
        undefined,
      ]) {
        const mapped = toPortError(error, 'reading $all');
        expect(mapped).toBeInstanceOf(EventStoreUnavailableError);
        expect(mapped.cause).toBe(error);
        expect(mapped.message).toMatch(/^EventStoreDB: reading \$all failed/);
      }
    });

    it('recognises a missing stream', () => {
      expect(isStreamNotFound(new StreamNotFoundError(undefined, 's'))).toBe(true);
      expect(isStreamNotFound({ type: ErrorType.STREAM_NOT_FOUND })).toBe(true);
      expect(isStreamNotFound(new UnavailableError())).toBe(false);
      expect(isStreamNotFound(null)).toBe(false);
    });
  });

  describe('what a subscription survives', () => {
    // Needs gRPC metadata to construct; the adapter only looks at the type tag.
    const notLeader = { type: ErrorType.NOT_LEADER };
    it.each([
      ['unavailable', new UnavailableError()],
      ['deadline exceeded', new DeadlineExceededError()],
      ['unknown', new UnknownError()],
      ['not leader', notLeader],
      ['a reset socket', Object.assign(new Error('reset'), { code: 'ECONNRESET' })],
      [
        'a premature close',
        Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }),
      ],
    ])('resubscribes after %s', (_, error) => {
      expect(isTransient(error)).toBe(true);
    });

    it.each([
      ['access denied', new AccessDeniedError()],
      ['an invalid argument', new InvalidArgumentError('bad')],
      ['a deleted stream', StreamDeletedError.fromStreamName('s')],
      ['its own conversion error', new EventStoreUnavailableError('not JSON')],
      ['a plain error', new Error('bug')],
      ['a non-error', 'oops'],
    ])('gives up after %s', (_, error) => {
      expect(isTransient(error)).toBe(false);
    });
  });
});
