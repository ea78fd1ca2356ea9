import { Global, Injectable, Module } from '@nestjs/common';
import type { HttpDrain } from './http-drain';

/** A piece of start-up or shutdown work still running, and for how long. */
export interface PendingStep {
  name: string;
  forMs: number;
}

/**
 * Makes the start and stop sequence observable: each hook names the work it awaits, so a
 * shutdown that runs out of time can say what it left instead of hanging silently.
 */
@Injectable()
export class Lifecycle {
  private readonly pending = new Map<number, { name: string; since: number }>();
  private next = 0;
  private readonly stopController = new AbortController();
  /** The HTTP side of the app, when it has one (the projector has none). */
  http: HttpDrain | undefined;

  /** Aborted when a stop begins: long-lived work (event streams, sweeps) ends on it. */
  get stopping(): AbortSignal {
    return this.stopController.signal;
  }

  beginStop(): void {
    this.stopController.abort();
  }

  /** Runs `work` under `name`, listed as pending until it settles. */
  async step<T>(name: string, work: () => Promise<T>): Promise<T> {
    const id = this.next++;
    this.pending.set(id, { name, since: Date.now() });
    try {
      return await work();
    } finally {
      this.pending.delete(id);
    }
  }

  pendingSteps(): PendingStep[] {
    const now = Date.now();
    const steps = [...this.pending.values()].map(({ name, since }) => ({
      name,
      forMs: now - since,
    }));
    const inFlight = this.http?.requestsInFlight ?? 0;
    if (inFlight > 0) steps.push({ name: `http: ${inFlight} request(s) in flight`, forMs: 0 });
    return steps;
  }
}

@Global()
@Module({ providers: [Lifecycle], exports: [Lifecycle] })
export class LifecycleModule {}
