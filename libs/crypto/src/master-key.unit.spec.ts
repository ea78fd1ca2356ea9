import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MasterKeyError } from './crypto.errors';
import { loadMasterKey } from './master-key';

describe('loadMasterKey', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'custodian-mk-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const error = (run: () => unknown): MasterKeyError => {
    try {
      run();
    } catch (e) {
      expect(e).toBeInstanceOf(MasterKeyError);
      return e as MasterKeyError;
    }
    throw new Error('expected a MasterKeyError');
  };

  it('uses a configured key, in any mode, and writes no file', () => {
    const key = randomBytes(32);
    for (const embedded of [true, false]) {
      const loaded = loadMasterKey({ masterKey: key.toString('base64'), dataDir: dir, embedded });
      expect(loaded).toEqual({ key, generated: false });
    }
    // Unpadded base64 and surrounding whitespace (a trailing newline from a secret file) are fine.
    const unpadded = `${key.toString('base64').replace(/=+$/, '')}\n`;
    expect(loadMasterKey({ masterKey: unpadded, dataDir: dir, embedded: false }).key).toEqual(key);
    expect(() => statSync(join(dir, 'master.key'))).toThrow();
  });

  it.each([
    ['too short', randomBytes(16).toString('base64')],
    ['too long', randomBytes(33).toString('base64')],
    ['not base64', `${'!'.repeat(43)}=`],
    ['base64url', Buffer.alloc(32, 0xfb).toString('base64url')],
    ['non-canonical', `${randomBytes(32).toString('base64').slice(0, 42)}B=`],
    ['only spaces', '   '],
  ])('rejects a configured key that is %s, without quoting it', (_, masterKey) => {
    const e = error(() => loadMasterKey({ masterKey, dataDir: dir, embedded: true }));
    expect(e.message).toContain('base64 of exactly 32 bytes');
    if (masterKey.trim()) expect(e.message).not.toContain(masterKey.trim());
  });

  it('generates a key file with mode 0600 in embedded mode, then reuses it', () => {
    const dataDir = join(dir, 'nested', 'data');
    const first = loadMasterKey({ dataDir, embedded: true });
    const file = join(dataDir, 'master.key');
    expect(first).toEqual({ key: expect.any(Buffer), generated: true, file });
    expect(first.key).toHaveLength(32);
    if (process.platform !== 'win32') expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8').trim()).toBe(first.key.toString('base64'));

    const second = loadMasterKey({ dataDir, embedded: true, masterKey: '' });
    expect(second).toEqual({ key: first.key, generated: false, file });
  });

  it('refuses a corrupt key file without quoting it', () => {
    const file = join(dir, 'master.key');
    writeFileSync(file, 'not-a-key-but-secret-looking\n', { mode: 0o600 });
    const e = error(() => loadMasterKey({ dataDir: dir, embedded: true }));
    expect(e.message).toContain(file);
    expect(e.message).not.toContain('secret-looking');
  });

  it('refuses to run without a key outside embedded mode, and writes nothing', () => {
    const e = error(() => loadMasterKey({ dataDir: dir, embedded: false }));
    expect(e.message).toContain('no master key configured');
    expect(() => statSync(join(dir, 'master.key'))).toThrow();
  });
});
