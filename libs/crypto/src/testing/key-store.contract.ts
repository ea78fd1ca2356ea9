import { randomUUID } from 'node:crypto';
import { InvalidCryptoInputError, KeyDestroyedError } from '../crypto.errors';
import type { KeyStore, WrappedKeyRecord } from '../key-store.port';

export interface KeyStoreFixture {
  store: KeyStore;
  dispose(): Promise<void>;
}

/**
 * The behaviour every KeyStore adapter must have. Subject ids are unique per test so the suite
 * also runs against a shared server.
 */
export function keyStoreContract(adapter: string, open: () => Promise<KeyStoreFixture>): void {
  describe(`KeyStore contract: ${adapter}`, () => {
    let fixture: KeyStoreFixture;
    let store: KeyStore;
    beforeEach(async () => {
      fixture = await open();
      store = fixture.store;
    });
    afterEach(() => fixture.dispose());

    const subject = () => `subject-${randomUUID()}`;
    const record = (subjectId: string, n = 0): WrappedKeyRecord => ({
      subjectId,
      keyId: randomUUID(),
      wrappedKey: `v1.${'A'.repeat(16)}.${Buffer.from(`key ${n} ${randomUUID()}`).toString('base64url')}`,
      createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
    });
    const at = new Date('2026-03-01T12:00:00.000Z');

    it('stores a key and reads it back; an unknown subject has none', async () => {
      const id = subject();
      const key = record(id);
      expect(await store.putIfAbsent(key)).toEqual(key);
      expect(await store.get(id)).toEqual(key);
      expect(await store.get(subject())).toBeNull();
      expect(await store.destroyed(id)).toBeNull();
    });

    it('keeps the first key: a later putIfAbsent returns the stored one', async () => {
      const id = subject();
      const first = record(id, 1);
      await store.putIfAbsent(first);
      expect(await store.putIfAbsent(record(id, 2))).toEqual(first);
      expect(await store.get(id)).toEqual(first);
    });

    it('makes concurrent creators agree on one key', async () => {
      const id = subject();
      const candidates = Array.from({ length: 12 }, (_, n) => record(id, n));
      const results = await Promise.all(candidates.map((c) => store.putIfAbsent(c)));
      const winner = results[0]!;
      expect(candidates).toContainEqual(winner);
      for (const result of results) expect(result).toEqual(winner);
      expect(await store.get(id)).toEqual(winner);
    });

    it('destroys a key, leaving a tombstone without key material', async () => {
      const id = subject();
      const key = record(id);
      const other = record(subject());
      await store.putIfAbsent(key);
      await store.putIfAbsent(other);
      const tombstone = await store.destroy(id, at);
      expect(tombstone).toEqual({ keyId: key.keyId, destroyedAt: at.toISOString() });
      expect(await store.get(id)).toBeNull();
      expect(await store.destroyed(id)).toEqual(tombstone);
      expect(JSON.stringify(tombstone)).not.toContain(key.wrappedKey);
      // Other subjects are untouched.
      expect(await store.get(other.subjectId)).toEqual(other);
      expect(await store.destroyed(other.subjectId)).toBeNull();
      const many = [id, other.subjectId, subject(), ...Array.from({ length: 1200 }, subject)];
      expect(await store.destroyedAmong(many)).toEqual(new Set([id]));
      expect(await store.destroyedAmong([])).toEqual(new Set());
    });

    it('is idempotent: destroying again returns the first tombstone', async () => {
      const id = subject();
      const key = record(id);
      await store.putIfAbsent(key);
      const first = await store.destroy(id, at);
      expect(await store.destroy(id, new Date('2027-01-01T00:00:00.000Z'))).toEqual(first);
      expect(await store.destroyed(id)).toEqual(first);
    });

    it('agrees on one tombstone when destroys race', async () => {
      const id = subject();
      const key = record(id);
      await store.putIfAbsent(key);
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, n) => store.destroy(id, new Date(at.getTime() + n * 1000))),
      );
      for (const result of results) expect(result).toEqual(results[0]);
      expect(results[0]?.keyId).toBe(key.keyId);
      expect(await store.get(id)).toBeNull();
    });

    it('returns null when destroying a subject that never had a key, and records nothing', async () => {
      const id = subject();
      expect(await store.destroy(id, at)).toBeNull();
      expect(await store.destroyed(id)).toBeNull();
      // Not shredded: the subject may still get a key.
      const key = record(id);
      expect(await store.putIfAbsent(key)).toEqual(key);
    });

    it('never gives a destroyed subject a new key', async () => {
      const id = subject();
      await store.putIfAbsent(record(id));
      await store.destroy(id, at);
      const error = await store.putIfAbsent(record(id)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KeyDestroyedError);
      expect((error as KeyDestroyedError).subjectId).toBe(id);
      expect(await store.get(id)).toBeNull();
    });

    it.each([
      ['an empty subject id', { subjectId: '' }, 'subjectId'],
      ['a subject id over 128 characters', { subjectId: 'x'.repeat(129) }, 'subjectId'],
      ['a subject id with a control character', { subjectId: 'a\u0000b' }, 'subjectId'],
      ['a subject id that is an object', { subjectId: { $ne: null } }, 'subjectId'],
      ['an empty key id', { keyId: '' }, 'keyId'],
      ['a key id with ":"', { keyId: 'a:b' }, 'keyId'],
      ['an empty wrapped key', { wrappedKey: '' }, 'wrappedKey'],
      ['a wrapped key with spaces', { wrappedKey: 'v1 x' }, 'wrappedKey'],
      ['a wrapped key that is not a string', { wrappedKey: 42 }, 'wrappedKey'],
      ['a non-ISO createdAt', { createdAt: '1 March 2026' }, 'createdAt'],
      ['a createdAt with an offset', { createdAt: '2026-03-01T12:00:00+01:00' }, 'createdAt'],
    ])('rejects a record with %s', async (_, change, field) => {
      const bad = { ...record(subject()), ...change } as never;
      const error = await store.putIfAbsent(bad).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidCryptoInputError);
      expect((error as InvalidCryptoInputError).field).toBe(field);
    });

    it('accepts a subject id of exactly 128 characters', async () => {
      const key = record(`s${randomUUID()}`.padEnd(128, 'x'));
      expect(await store.putIfAbsent(key)).toEqual(key);
    });

    it('rejects bad subject ids and dates in get, destroy and destroyed', async () => {
      for (const attempt of [
        store.get(''),
        store.get('x'.repeat(129)),
        store.destroyed({ $gt: '' } as never),
        store.destroy('', at),
        store.destroy(subject(), new Date(Number.NaN)),
        store.destroy(subject(), '2026-03-01' as never),
      ]) {
        await expect(attempt).rejects.toBeInstanceOf(InvalidCryptoInputError);
      }
    });

    it('keeps the log position erasures were applied through, and forgets it on null', async () => {
      await store.setErasuresAppliedThrough('41');
      await store.setErasuresAppliedThrough('C:1234/P:1234');
      expect(await store.erasuresAppliedThrough()).toBe('C:1234/P:1234');
      await store.setErasuresAppliedThrough(null);
      expect(await store.erasuresAppliedThrough()).toBeNull();
      for (const bad of ['', 'x'.repeat(201), 'a b', { $gt: '' }, 42]) {
        await expect(store.setErasuresAppliedThrough(bad as never)).rejects.toBeInstanceOf(
          InvalidCryptoInputError,
        );
      }
    });

    it('lists keys in subject-id order page by page, and counts them', async () => {
      const prefix = `page-${randomUUID()}-`;
      const ids = ['c', 'a', 'e', 'b', 'd'].map((x) => `${prefix}${x}`);
      const before = await store.countKeys();
      for (const id of ids) await store.putIfAbsent(record(id));
      expect(await store.countKeys()).toBe(before + 5);
      const seen: string[] = [];
      let after: string | null = prefix;
      for (;;) {
        const page: WrappedKeyRecord[] = await store.listKeys(after, 2);
        const ours = page.filter((k) => k.subjectId.startsWith(prefix));
        seen.push(...ours.map((k) => k.subjectId));
        if (ours.length < 2) break;
        after = page[page.length - 1].subjectId;
      }
      expect(seen).toEqual([...ids].sort());
      await expect(store.listKeys(null, 0)).rejects.toThrow(InvalidCryptoInputError);
    });

    it('replaces a wrapping only while it is the expected one, and never revives a destroyed key', async () => {
      const id = subject();
      const key = record(id);
      await store.putIfAbsent(key);
      const other = subject();
      const otherKey = record(other);
      await store.putIfAbsent(otherKey);
      const next = record(id, 1).wrappedKey;
      expect(
        await store.replaceWrapped([
          { subjectId: id, expected: 'v1.stale', next },
          { subjectId: other, expected: otherKey.wrappedKey, next },
        ]),
      ).toEqual([false, true]);
      expect((await store.get(id))!.wrappedKey).toBe(key.wrappedKey);
      expect((await store.get(other))!.wrappedKey).toBe(next);
      expect(
        await store.replaceWrapped([{ subjectId: id, expected: key.wrappedKey, next }]),
      ).toEqual([true]);
      expect(await store.get(id)).toEqual({ ...key, wrappedKey: next });
      await store.destroy(id, at);
      expect(
        await store.replaceWrapped([{ subjectId: id, expected: next, next: key.wrappedKey }]),
      ).toEqual([false]);
      expect(await store.get(id)).toBeNull();
    });

    it('keeps named settings and removes them on null', async () => {
      const name = `test_${randomUUID().replace(/-/g, '')}`.slice(0, 60);
      expect(await store.getSetting(name)).toBeNull();
      await store.setSetting(name, '{"a":1}');
      expect(await store.getSetting(name)).toBe('{"a":1}');
      await store.setSetting(name, null);
      expect(await store.getSetting(name)).toBeNull();
      await expect(store.setSetting('Bad Name', 'x')).rejects.toThrow(InvalidCryptoInputError);
    });

    it('answers ping while open', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}
