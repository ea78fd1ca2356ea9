export interface ProjectionRunnerOptions {
  batchSize?: number;
  /**
   * Events read per page while projections catch up (a rebuild): read and decoded once for
   * every projection far behind, applied in memory, each touched document written once per
   * page. Default 5000.
   */
  catchUpBatchSize?: number;
  /** How long a live batch waits for more events before it is applied (default 0). */
  lingerMs?: number;
  /** First retry delay after a failure; doubles up to `maxRetryDelayMs`. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /**
   * How long a build replaced by a rebuild is kept after the swap before it is dropped
   * (default 60 s): processes that resolved the old collection name (readers cache it for a
   * second, and a query may be in flight) keep getting answers from it meanwhile.
   */
  retiredGraceMs?: number;
  logger?: { log(message: string): void; error(message: string): void };
}

/** The runner's options with the batch size settled. */
export interface FollowerSettings extends ProjectionRunnerOptions {
  batchSize: number;
}

/** First delay of a retry, then the delay after `delay`: doubled, up to the cap. */
export const firstRetryDelay = (options: ProjectionRunnerOptions): number =>
  options.retryDelayMs ?? 200;
export const nextRetryDelay = (delay: number, options: ProjectionRunnerOptions): number =>
  Math.min(delay * 2, options.maxRetryDelayMs ?? 30_000);
