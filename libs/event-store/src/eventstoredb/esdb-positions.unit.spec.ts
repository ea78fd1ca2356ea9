import { InvalidEventStoreInputError } from '../event-store.errors';
import {
  comparePositions,
  decodePosition,
  encodePosition,
  isRealPosition,
  MAX_U64,
} from './esdb-positions';

describe('ESDB positions', () => {
  it.each([
    [{ commit: 0n, prepare: 0n }, '0/0'],
    [{ commit: 1234n, prepare: 1234n }, '1234/1234'],
    [{ commit: 5n, prepare: 17n }, '5/17'],
    [{ commit: MAX_U64 - 1n, prepare: MAX_U64 - 2n }, '18446744073709551614/18446744073709551613'],
  ])('encodes %o as %s and decodes it back', (position, encoded) => {
    expect(encodePosition(position)).toBe(encoded);
    expect(decodePosition(encoded)).toEqual(position);
  });

  it.each([
    '',
    '12',
    '1/',
    '/1',
    '1/2/3',
    '01/1',
    '1/00',
    '-1/2',
    '+1/2',
    ' 1/2',
    '1/2 ',
    '1.0/2',
    'a/b',
    '0x1/2',
    '1e3/2',
    '18446744073709551615/1', // the server's "no position" sentinel
    '18446744073709551616/1', // beyond 64 bits
    '123456789012345678901/1',
  ])('rejects %j as a position of this store', (garbage) => {
    expect(() => decodePosition(garbage)).toThrow(InvalidEventStoreInputError);
  });

  it.each([undefined, null, 12, 12n, {}, { commit: 1n, prepare: 1n }])(
    'rejects a non-string %p',
    (garbage) => {
      const error = (() => {
        try {
          decodePosition(garbage);
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(InvalidEventStoreInputError);
      expect((error as InvalidEventStoreInputError).field).toBe('position');
    },
  );

  it('refuses to encode the sentinels the server uses for "no position"', () => {
    expect(() => encodePosition({ commit: -1n, prepare: -1n })).toThrow(RangeError);
    expect(() => encodePosition({ commit: MAX_U64, prepare: MAX_U64 })).toThrow(RangeError);
    expect(isRealPosition(undefined)).toBe(false);
    expect(isRealPosition({ commit: 0n, prepare: 0n })).toBe(true);
  });

  it('orders by commit position, then prepare position', () => {
    const p = (commit: bigint, prepare: bigint) => ({ commit, prepare });
    expect(comparePositions(p(1n, 9n), p(2n, 0n))).toBe(-1);
    expect(comparePositions(p(2n, 0n), p(1n, 9n))).toBe(1);
    expect(comparePositions(p(2n, 1n), p(2n, 3n))).toBe(-1);
    expect(comparePositions(p(2n, 3n), p(2n, 1n))).toBe(1);
    expect(comparePositions(p(2n, 3n), p(2n, 3n))).toBe(0);
    // Beyond Number precision: compared as bigints, not floats.
    expect(comparePositions(p(2n ** 60n + 1n, 0n), p(2n ** 60n, 0n))).toBe(1);
  });

  it('keeps the order of encoded positions through a round trip', () => {
    const sorted = ['0/0', '9/9', '10/2', '10/10', '100/1'];
    const shuffled = [...sorted].reverse();
    shuffled.sort((a, b) => comparePositions(decodePosition(a), decodePosition(b)));
    expect(shuffled).toEqual(sorted);
  });
});
