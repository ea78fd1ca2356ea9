import 'reflect-metadata';
import { ConfigError, loadConfig, stopOnSignals } from '@custodian/platform';
import { Logger } from 'nestjs-pino';
import { createApi } from './create-api';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await createApi(config);
  stopOnSignals(app, config.shutdownTimeoutMs);
  await app.listen({ port: config.port, host: config.host });
  app
    .get(Logger)
    .log(`Custodian API listening on http://${config.host}:${config.port} (health: /health)`);
}

main().catch((error: unknown) => {
  // Configuration and deployment checks say what is wrong in one line, with their own code.
  const exitCode = (error as { exitCode?: unknown } | null)?.exitCode;
  const checked = error instanceof ConfigError || typeof exitCode === 'number';
  console.error(checked ? (error as Error).message : error);
  process.exit(typeof exitCode === 'number' ? exitCode : 1);
});
