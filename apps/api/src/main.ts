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
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
