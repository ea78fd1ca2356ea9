import { createApi } from '../../apps/api/src/create-api';
import { loadConfig, type CustodianConfig } from '@custodian/platform';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestApp {
  app: NestFastifyApplication;
  config: CustodianConfig;
  baseUrl: string;
  dataDir: string;
  close(): Promise<void>;
}

/** Boots the real API on the embedded stores in a fresh data directory, listening on 127.0.0.1. */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'custodian-e2e-'));
  const config = loadConfig({ CUSTODIAN_DATA_DIR: dataDir, LOG_LEVEL: 'warn', PORT: '0', ...env });
  const app = await createApi(config);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    app,
    config,
    dataDir,
    baseUrl: `http://127.0.0.1:${port}`,
    close: async () => {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
