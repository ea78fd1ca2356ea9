/**
 * The real API on <dataDir> with the projections and webhook delivery in this process, for the
 * webhook crash test: the parent kills it with SIGKILL mid-delivery and starts another on the
 * same files. Prints "READY <port>" once listening.
 * Usage: node -r test/support/register-ts.cjs test/crash/webhooks-child.ts <dataDir> <actorsFile>
 */
import 'reflect-metadata';
import { loadConfig } from '@custodian/platform';
import { createApi } from '../../apps/api/src/create-api';

async function main(): Promise<void> {
  const [dataDir, actorsFile] = process.argv.slice(2);
  const config = loadConfig({
    CUSTODIAN_DATA_DIR: dataDir,
    CUSTODIAN_ACTORS_FILE: actorsFile,
    CUSTODIAN_WEBHOOKS_ALLOW_HTTP_LOOPBACK: 'true',
    CUSTODIAN_WEBHOOKS_BACKOFF_BASE_MS: '20',
    CUSTODIAN_WEBHOOKS_BACKOFF_MAX_MS: '100',
    CUSTODIAN_WEBHOOKS_POLL_MS: '50',
    LOG_LEVEL: 'error',
    PORT: '0',
  });
  const app = await createApi(config);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address();
  process.stdout.write(`READY ${typeof address === 'object' && address ? address.port : 0}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
