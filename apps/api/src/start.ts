import 'reflect-metadata';
import { ConfigError, loadConfig, stopApp, stopOnSignals } from '@custodian/platform';
import { fork, type ChildProcess } from 'node:child_process';
import { extname, join } from 'node:path';
import { Logger } from 'nestjs-pino';
import { createApi } from './create-api';

/** Exit code when the projector process died on its own: the whole service stopped with it. */
export const PROJECTOR_DIED_EXIT_CODE = 3;

/** apps/projector's entry, beside this one (`.js` when built, `.ts` when run from source). */
const PROJECTOR_ENTRY = join(__dirname, '../../projector/src', `main${extname(__filename)}`);

/**
 * `npm start`: the API and, beside it in its own process (the second core), apps/projector
 * with the projections and processors. The API starts first and makes the embedded data
 * directory (master key, actors file), so the projector only ever reads them; then it forks the
 * projector. SIGTERM/SIGINT stop both (exit 0, or 1 if a stop ran out of time). If the projector
 * dies on its own, the API stops too and exits with PROJECTOR_DIED_EXIT_CODE: one service, one
 * fate, restarted by whatever supervises it. With CUSTODIAN_PROJECTOR=in-process (one process,
 * the projections in the API's event loop) or =off (the API alone), this is `npm run start:api`.
 */
async function main(): Promise<void> {
  const mode = process.env.CUSTODIAN_PROJECTOR;
  const split = mode === undefined || mode === '' || mode === 'process';
  if (split) process.env.CUSTODIAN_PROJECTOR = 'off';
  const config = loadConfig();
  const app = await createApi(config);
  const logger = app.get(Logger);
  if (!split) {
    stopOnSignals(app, config.shutdownTimeoutMs);
    await app.listen({ port: config.port, host: config.host });
    logger.log(
      `Custodian API listening on http://${config.host}:${config.port} (projector: ${config.projector})`,
    );
    return;
  }

  // Its own process group: a Ctrl-C in the terminal reaches the launcher only, which then
  // stops the projector itself (one signal each, in order). The IPC channel lets the projector
  // notice if this process is killed outright (see apps/projector/src/main.ts).
  const projector: ChildProcess = fork(PROJECTOR_ENTRY, [], {
    env: { ...process.env, CUSTODIAN_PROJECTOR: 'in-process' },
    detached: true,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let projectorExit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const projectorExited = new Promise<void>((resolve) =>
    projector.once('exit', (code, signal) => {
      projectorExit = { code, signal };
      resolve();
    }),
  );

  let stopping = false;
  const stopAll = async (why: string, exitCode: number | null): Promise<never> => {
    stopping = true;
    logger.log(
      `${why}: stopping the API and the projector (at most ${config.shutdownTimeoutMs} ms)`,
    );
    if (!projectorExit) projector.kill('SIGTERM');
    const [outcome] = await Promise.all([
      stopApp(app, { timeoutMs: config.shutdownTimeoutMs }),
      Promise.race([
        projectorExited,
        new Promise((resolve) => setTimeout(resolve, config.shutdownTimeoutMs).unref()),
      ]),
    ]);
    if (!projectorExit) {
      logger.error(`the projector (pid ${projector.pid}) did not stop in time: killed`);
      projector.kill('SIGKILL');
      await projectorExited;
      process.exit(1);
    }
    const projectorClean =
      exitCode !== null || (projectorExit as { code: number | null }).code === 0;
    if (outcome.completed && projectorClean) logger.log(`stopped in ${outcome.tookMs} ms`);
    process.exit(exitCode ?? (outcome.completed && projectorClean ? 0 : 1));
  };

  projector.once('exit', (code, signal) => {
    if (stopping) return;
    logger.error(
      `the projector process (pid ${projector.pid}) exited on its own (${signal ?? `code ${code}`}); ` +
        `the service stops with it (exit ${PROJECTOR_DIED_EXIT_CODE}): restart it`,
    );
    void stopAll('projector died', PROJECTOR_DIED_EXIT_CODE);
  });
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.error(`${signal} again: exiting without finishing the stop`);
      if (!projectorExit) projector.kill('SIGKILL');
      process.exit(1);
    }
    void stopAll(signal, null);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  await app.listen({ port: config.port, host: config.host });
  logger.log(
    `Custodian API listening on http://${config.host}:${config.port} (health: /health); ` +
      `projections and processors in the projector process, pid ${projector.pid}`,
  );
}

main().catch((error: unknown) => {
  // Configuration and deployment checks say what is wrong in one line, with their own code.
  const exitCode = (error as { exitCode?: unknown } | null)?.exitCode;
  const checked = error instanceof ConfigError || typeof exitCode === 'number';
  console.error(checked ? (error as Error).message : error);
  process.exit(typeof exitCode === 'number' ? exitCode : 1);
});
