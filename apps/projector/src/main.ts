import 'reflect-metadata';
import { ConfigError, loadConfig, stopOnSignals } from '@custodian/platform';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { ProjectorModule } from './projector.module';

/**
 * Runs the projections apart from the API, so production can scale them separately; start
 * the API with CUSTODIAN_PROJECTOR=off beside it.
 */
async function main(): Promise<void> {
  // This process is the projector, whatever the shared environment says about the API.
  const config = { ...loadConfig(), projector: 'in-process' as const };
  const app = await NestFactory.createApplicationContext(ProjectorModule.forRoot(config), {
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  stopOnSignals(app, config.shutdownTimeoutMs);
  await app.init();
  // The projections wait on unref'd timers and store callbacks, which do not keep Node alive:
  // hold the process open until a signal stops it (`stopOnSignals` then closes the app).
  setInterval(() => undefined, 1 << 30);
  // Forked by `npm start`'s launcher (apps/api/src/start.ts): if the launcher is gone (killed
  // outright, so it could not stop us), stop as if told to, rather than live on as an orphan.
  if (process.send) process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}

main().catch((error: unknown) => {
  // Configuration and deployment checks say what is wrong in one line, with their own code.
  const exitCode = (error as { exitCode?: unknown } | null)?.exitCode;
  const checked = error instanceof ConfigError || typeof exitCode === 'number';
  console.error(checked ? (error as Error).message : error);
  process.exit(typeof exitCode === 'number' ? exitCode : 1);
});
