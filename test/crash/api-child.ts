/**
 * The real API on <dataDir>, as a second process sharing the stores with the test's own app
 * (the blind-index ordering test sends concurrent updates through both). Prints
 * "READY <port>" once listening; stops on SIGTERM.
 * Usage: node -r test/support/register-ts.cjs test/crash/api-child.ts <dataDir> <actorsFile>
 */
import 'reflect-metadata';
import { loadConfig, stopApp } from '@custodian/platform';
import { createApi } from '../../apps/api/src/create-api';

async function main(): Promise<void> {
  const [dataDir, actorsFile] = process.argv.slice(2);
  const config = loadConfig({
    CUSTODIAN_DATA_DIR: dataDir,
    CUSTODIAN_ACTORS_FILE: actorsFile,
    CUSTODIAN_PROJECTOR: 'off',
    LOG_LEVEL: 'error',
    PORT: '0',
  });
  const app = await createApi(config);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address();
  process.stdout.write(`READY ${typeof address === 'object' && address ? address.port : 0}\n`);
  process.once('SIGTERM', () => {
    void stopApp(app, { timeoutMs: 5000 }).then(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
