import type { FastifyInstance } from 'fastify';

/**
 * Counts the requests in flight and, once closing, answers new ones with 503 and
 * `Connection: close`. A stop first waits (bounded) for the requests in flight, so a
 * response being streamed can end before the stores close under it.
 */
export class HttpDrain {
  private inFlight = 0;
  private closing = false;
  private idle: (() => void) | undefined;

  constructor(fastify: FastifyInstance) {
    // A callback hook, not an async one: it runs on every request, and each promise is also
    // paid in the promise hooks that request-scoped logging turns on.
    fastify.addHook('onRequest', (_request, reply, next) => {
      if (this.closing) {
        reply.header('connection', 'close');
        void reply
          .code(503)
          .send({ statusCode: 503, error: 'Service Unavailable', message: 'shutting down' });
        return;
      }
      this.inFlight++;
      // 'close' fires once per response, whether it finished or the client went away.
      reply.raw.once('close', () => this.done());
      next();
    });
  }

  get requestsInFlight(): number {
    return this.inFlight;
  }

  /** Refuses new requests; resolves when none is in flight or after `timeoutMs`. */
  async drain(timeoutMs: number): Promise<boolean> {
    this.closing = true;
    if (this.inFlight === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      new Promise<boolean>((resolve) => (this.idle = () => resolve(true))),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
    ]);
    clearTimeout(timer);
    this.idle = undefined;
    return drained;
  }

  private done(): void {
    this.inFlight--;
    if (this.inFlight === 0) this.idle?.();
  }
}
