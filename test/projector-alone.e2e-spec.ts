import { loadConfig, MASTER_KEY, stopApp } from '@custodian/platform';
import { ProjectionRunner } from '@custodian/projections';
import { NestFactory } from '@nestjs/core';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProjectorModule } from '../apps/projector/src/projector.module';

/**
 * `apps/projector` holds no master key: no projection decrypts. Started with none in its
 * environment, it neither asks for one (with production stores the vault's factory threw, and
 * the compose projector crash-looped) nor generates one into the data directory.
 */
describe('the projector alone (embedded stores, no master key)', () => {
  it('starts and runs every projection without a master key, and never makes one', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'custodian-projector-'));
    try {
      const config = {
        ...loadConfig({ CUSTODIAN_DATA_DIR: dataDir, LOG_LEVEL: 'error' }),
        projector: 'in-process' as const,
      };
      expect(config.masterKey).toBeUndefined();
      const app = await NestFactory.createApplicationContext(ProjectorModule.forRoot(config), {
        logger: false,
        abortOnError: false,
      });
      await app.init();
      try {
        const status = app.get(ProjectionRunner).status();
        expect(status.length).toBeGreaterThan(5);
        expect(status.every((s) => s.state !== 'failed')).toBe(true);
        // Nothing in the projector can reach a master key...
        expect(() => app.get(MASTER_KEY)).toThrow();
        // ...and none was generated for it (the embedded vault writes master.key on first use).
        expect(existsSync(join(dataDir, 'master.key'))).toBe(false);
        expect(readdirSync(dataDir).filter((name) => name.includes('master'))).toEqual([]);
      } finally {
        await stopApp(app, { timeoutMs: 10_000 });
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
