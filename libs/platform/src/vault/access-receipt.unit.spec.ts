import { SqliteKeyStore, SubjectKeys } from '@custodian/crypto';
import { accessStream, type FieldsAccessed } from '@custodian/domain';
import { SqliteEventStore } from '@custodian/event-store';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandExecutor, type CommandMeta } from '../commands/command-executor';
import { WriteTracker } from '../commands/write-tracker';
import { AccessReceipt, AccessRecorder, UnauditedDecryptionError } from './access-receipt';
import { FieldVault } from './field-vault';

const subjectId = '5d0c1d2e-3f40-4a51-8b62-7c83d94ea5b6';
const otherId = '6e1d2e3f-4051-4b62-9c73-8d94ea5fb6c7';
const meta: CommandMeta = {
  actor: { id: 'sales-1', role: 'sales' },
  requestId: 'req-1',
  causationId: 'cmd-1',
  now: new Date('2026-11-29T10:00:00Z'),
};
const read = (id: string, fields: Array<[string, 'full' | 'partial' | 'hidden']>) =>
  ({
    type: 'FieldsAccessed',
    data: {
      subjectId: id,
      actorId: 'sales-1',
      role: 'sales',
      purposeId: 'crm-care',
      via: 'view',
      fields: fields.map(([name, mask]) => ({ name, mask })),
      policyVersion: 1,
      requestId: 'req-1',
      at: meta.now.toISOString(),
    },
  }) satisfies FieldsAccessed;

describe('access receipts: the vault decrypts only against an appended access record (real SQLite files)', () => {
  let dir: string;
  let events: SqliteEventStore;
  let keys: SqliteKeyStore;
  let vault: FieldVault;
  let recorder: AccessRecorder;
  let encrypted: Record<string, string>;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'custodian-receipts-'));
    events = new SqliteEventStore({ file: join(dir, 'events.sqlite') });
    keys = new SqliteKeyStore({ file: join(dir, 'keys.sqlite') });
    vault = new FieldVault(
      new SubjectKeys({ keyStore: keys, kek: randomBytes(32) }),
      randomBytes(32),
    );
    recorder = new AccessRecorder(new CommandExecutor(events, new WriteTracker()));
    encrypted = (
      await vault.encrypt(subjectId, { email: 'olga@example.com', phone: '+7 916 000-00-01' })
    ).fields;
  });
  afterEach(async () => {
    await events.close();
    await keys.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('given an appended record naming the fields, then it decrypts them once, and the record is in the log first', async () => {
    const receipt = await recorder.record(
      read(subjectId, [
        ['email', 'full'],
        ['phone', 'partial'],
      ]),
      meta,
    );
    expect((await events.readStream(accessStream(subjectId))).map((e) => e.type)).toEqual([
      'FieldsAccessed',
    ]);
    expect(await vault.decrypt(receipt, encrypted)).toEqual({
      email: 'olga@example.com',
      phone: '+7 916 000-00-01',
    });
    await expect(vault.decrypt(receipt, encrypted)).rejects.toThrow(/already used/);
  });

  it('refuses a field the record shows hidden or does not name', async () => {
    const receipt = await recorder.record(
      read(subjectId, [
        ['email', 'full'],
        ['phone', 'hidden'],
      ]),
      meta,
    );
    await expect(vault.decrypt(receipt, encrypted)).rejects.toThrow(UnauditedDecryptionError);
    await expect(vault.decrypt(receipt, { email: encrypted.email })).resolves.toEqual({
      email: 'olga@example.com',
    });
  });

  it('refuses a receipt for another customer, a forged one, and one made without the recorder', async () => {
    const forOther = await recorder.record(read(otherId, [['email', 'full']]), meta);
    const asOther = Object.assign(Object.create(forOther) as AccessReceipt, { subjectId });
    await expect(vault.decrypt(asOther, { email: encrypted.email })).rejects.toThrow(
      UnauditedDecryptionError,
    );
    const forged = Object.assign(Object.create(AccessReceipt.prototype) as AccessReceipt, {
      subjectId,
      fields: new Set(['email']),
    });
    await expect(vault.decrypt(forged, { email: encrypted.email })).rejects.toThrow(
      /no access record/,
    );
    expect(
      () =>
        new AccessReceipt(Symbol('custodian.AccessReceipt.issuer'), subjectId, new Set(['email'])),
    ).toThrow(/issued only by AccessRecorder/);
  });

  it('gives no receipt, and so no values, when the record cannot be appended', async () => {
    await events.close();
    await expect(recorder.record(read(subjectId, [['email', 'full']]), meta)).rejects.toThrow(
      /could not be audited/,
    );
    events = new SqliteEventStore({ file: join(dir, 'events.sqlite') });
  });
});
