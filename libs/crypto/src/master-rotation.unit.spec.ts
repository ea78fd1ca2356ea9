import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MasterKeyError } from './crypto.errors';
import { deriveKey, keyWrapAad, KEY_PURPOSES, unwrapKey } from './envelope';
import {
  finishRotation,
  readRotationMarker,
  resolveBlindIndexKey,
  rotateMasterKey,
} from './master-rotation';
import { SqliteKeyStore } from './sqlite/sqlite-key-store';
import { SubjectKeys } from './subject-keys';

describe('master-key rotation (SQLite key store)', () => {
  let dir: string;
  let store: SqliteKeyStore;
  const oldMaster = randomBytes(32);
  const newMaster = randomBytes(32);
  const keysUnder = (master: Buffer) =>
    new SubjectKeys({
      keyStore: store,
      kek: deriveKey(master, KEY_PURPOSES.keyWrap),
      cacheTtlMs: 0,
    });
  const opens = (
    master: Buffer,
    record: { subjectId: string; keyId: string; wrappedKey: string },
  ) => {
    try {
      unwrapKey(
        deriveKey(master, KEY_PURPOSES.keyWrap),
        record.wrappedKey,
        keyWrapAad(record.subjectId, record.keyId),
      );
      return true;
    } catch {
      return false;
    }
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'custodian-rotation-'));
    store = new SqliteKeyStore({ file: join(dir, 'keys.sqlite') });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every data key, readable with either master key meanwhile, and the blind-index key', async () => {
    const old = keysUnder(oldMaster);
    const ids = Array.from({ length: 30 }, () => randomUUID());
    const deks = new Map<string, Buffer>();
    for (const id of ids) deks.set(id, (await old.dataKeyFor(id)).dek);
    const indexKey = await resolveBlindIndexKey(store, oldMaster);

    // Interrupted after the first page: both processes read everything.
    const stop = new Error('interrupted');
    await expect(
      rotateMasterKey(store, oldMaster, newMaster, {
        pageSize: 10,
        onProgress: ({ done }) => {
          if (done === 10) throw stop;
        },
      }),
    ).rejects.toBe(stop);
    const fresh = keysUnder(newMaster);
    for (const id of ids) {
      expect((await old.existingDataKey(id))!.dek).toEqual(deks.get(id));
      expect((await fresh.existingDataKey(id))!.dek).toEqual(deks.get(id));
    }
    // A key created meanwhile by a process on the old key goes under the new KEK.
    const late = randomUUID();
    deks.set(late, (await old.dataKeyFor(late)).dek);
    expect(opens(newMaster, (await store.get(late))!)).toBe(true);
    // A key destroyed meanwhile stays destroyed: one the pass has not reached yet (keys are
    // visited in id order, so the greatest id; a random one could already be done).
    const notYetDone = [...ids].sort().at(-1)!;
    await old.destroy(notYetDone, new Date());

    // Resuming with another pair of keys is refused; with the same pair it goes on.
    await expect(rotateMasterKey(store, oldMaster, randomBytes(32))).rejects.toThrow(
      /resume it with the same keys/,
    );
    await expect(finishRotation(store, newMaster)).rejects.toThrow(/has not reached the end/);
    const resumed = await rotateMasterKey(store, oldMaster, newMaster, { pageSize: 10 });
    expect(resumed.resumed).toBe(true);
    expect(resumed.rewrapped).toBe(19); // 30 - 10 done - 1 destroyed
    await expect(finishRotation(store, oldMaster)).rejects.toThrow(/still the old one/);
    await finishRotation(store, newMaster);

    expect(await readRotationMarker(store)).toBeNull();
    const all = await store.listKeys(null, 1000);
    expect(all).toHaveLength(30);
    expect(all.filter((r) => opens(oldMaster, r))).toEqual([]);
    for (const record of all)
      expect((await fresh.existingDataKey(record.subjectId))!.dek).toEqual(
        deks.get(record.subjectId),
      );
    expect(await store.get(notYetDone)).toBeNull();
    expect(await resolveBlindIndexKey(store, newMaster)).toEqual(indexKey);
    await expect(resolveBlindIndexKey(store, oldMaster)).rejects.toThrow(MasterKeyError);
    await expect(old.existingDataKey(ids[0])).rejects.toThrow(/cannot decrypt/);
  });

  it('refuses a "rotation" to the key already in use, and a finish with none under way', async () => {
    await expect(rotateMasterKey(store, oldMaster, Buffer.from(oldMaster))).rejects.toThrow(
      /nothing to rotate/,
    );
    await expect(finishRotation(store, newMaster)).rejects.toThrow(/no master-key rotation/);
  });
});
