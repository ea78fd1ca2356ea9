import { Logger, type INestApplicationContext } from '@nestjs/common';
import { Lifecycle } from './lifecycle';

export interface StopOutcome {
  /** False when the stop ran out of time (the pending steps are then named). */
  completed: boolean;
  tookMs: number;
  pending: string[];
}

export interface StopOptions {
  /** The whole stop: draining requests, the shutdown hooks and closing the stores. */
  timeoutMs: number;
  /** Of that, how long requests in flight may take to finish. */
  drainMs?: number;
  log?: { log(message: string): void; error(message: string): void };
}

/**
 * Stops an app in a bounded time: new requests are refused and those in flight may finish
 * (up to `drainMs`), long-lived work is told to end, then the shutdown hooks run and the
 * stores close. If that does not finish within `timeoutMs`, the steps still pending are
 * logged and returned, and the caller decides (the entry points exit; tests fail).
 */
export async function stopApp(
  app: INestApplicationContext,
  options: StopOptions,
): Promise<StopOutcome> {
  const started = Date.now();
  const lifecycle = app.get(Lifecycle, { strict: false });
  lifecycle.beginStop();
  const closing = (async () => {
    if (lifecycle.http) {
      const drainMs = Math.min(options.drainMs ?? options.timeoutMs / 2, options.timeoutMs);
      const drained = await lifecycle.http.drain(drainMs);
      if (!drained)
        options.log?.log(
          `stopping: ${lifecycle.http.requestsInFlight} request(s) still in flight after ` +
            `${drainMs} ms; their connections are closed`,
        );
    }
    await app.close();
  })();
  let timer: NodeJS.Timeout | undefined;
  const completed = await Promise.race([
    closing.then(() => true),
    new Promise<boolean>(
      (resolve) => (timer = setTimeout(() => resolve(false), options.timeoutMs)),
    ),
  ]);
  clearTimeout(timer);
  const tookMs = Date.now() - started;
  if (completed) return { completed, tookMs, pending: [] };
  const pending = lifecycle
    .pendingSteps()
    .map((step) => (step.forMs > 0 ? `${step.name} (${step.forMs} ms)` : step.name));
  options.log?.error(
    `shutdown did not finish within ${options.timeoutMs} ms; still pending: ` +
      (pending.length > 0
        ? pending.join('; ')
        : 'no named step (closing the stores or the server)'),
  );
  // The stop goes on in the background; its outcome no longer matters to the caller.
  closing.catch(() => undefined);
  return { completed, tookMs, pending };
}

/**
 * SIGTERM or SIGINT stops the app in a bounded time and exits: 0 when the stop finished,
 * 1 when it ran out of time (after logging what was still pending). A second signal exits
 * at once.
 */
export function stopOnSignals(app: INestApplicationContext, timeoutMs: number): void {
  const logger = new Logger('Shutdown');
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.error(`${signal} again: exiting without finishing the stop`);
      process.exit(1);
    }
    stopping = true;
    logger.log(`${signal}: stopping (at most ${timeoutMs} ms)`);
    stopApp(app, { timeoutMs, log: logger }).then(
      (outcome) => {
        if (outcome.completed) logger.log(`stopped in ${outcome.tookMs} ms`);
        process.exit(outcome.completed ? 0 : 1);
      },
      (error: unknown) => {
        logger.error(`stop failed: ${(error as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
