import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readStoreContract } from '../testing/read-store.contract';
import { SqliteReadStore } from './sqlite-read-store';

readStoreContract('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'custodian-rs-'));
  const store = new SqliteReadStore({ file: join(dir, 'read.sqlite') });
  return {
    store,
    dispose: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
