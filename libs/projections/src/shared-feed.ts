import type { EventStore } from '@custodian/event-store';
import { batched } from './batched';
import type { ProjectionRunnerOptions } from './projection-runner';
import type { ProjectionWorker } from './projection-worker';

/**
 * One subscription to the log for every projection that has caught up. Each projection
 * catches up on its own subscription (a rebuild may start far behind the others), and once it
 * is live and the feed has not read past it, it joins the feed and drops its own: the log is
 * then read, parsed and batched once for all of them, and their commits for a batch land in
 * the same turn, so the read store groups them into one transaction. A projection that fails
 * while in the feed leaves it and retries on its own, as before.
 */
export class SharedFeed {
  private readonly members = new Set<ProjectionWorker>();
  /** The last position the feed has read (including a batch still being applied). */
  private readPosition: string | null = null;
  private controller: AbortController | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly events: EventStore,
    private readonly batchSize: number,
    private readonly options: ProjectionRunnerOptions,
  ) {}

  /** Takes over a caught-up projection, unless the feed has already read past it. */
  join(worker: ProjectionWorker): boolean {
    if (this.stopped) return false;
    if (this.running) {
      if (
        this.readPosition !== null &&
        (worker.position === null ||
          this.events.comparePositions(worker.position, this.readPosition) < 0)
      )
        return false;
    } else {
      this.readPosition = worker.position;
      this.start();
    }
    this.members.add(worker);
    return true;
  }

  leave(worker: ProjectionWorker): void {
    this.members.delete(worker);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.controller?.abort();
    await this.running;
  }

  private start(): void {
    const controller = new AbortController();
    this.controller = controller;
    this.running = this.run(controller.signal)
      .catch((error: unknown) => {
        if (controller.signal.aborted) return;
        // The feed itself failed (the subscription): every member goes back to its own.
        const members = [...this.members];
        this.members.clear();
        for (const member of members) member.detach(error);
      })
      .finally(() => {
        this.running = null;
        this.controller = null;
      });
  }

  private async run(signal: AbortSignal): Promise<void> {
    const subscription = this.events.subscribeAll({
      after: this.readPosition ?? undefined,
      signal,
    });
    for await (const batch of batched(subscription, this.batchSize, this.options.lingerMs ?? 0)) {
      if (batch.items.length > 0) {
        this.readPosition = batch.items[batch.items.length - 1].position;
        await Promise.all(
          [...this.members].map((member) =>
            member.applyFromFeed(batch.items).catch((error: unknown) => {
              this.members.delete(member);
              member.detach(error);
            }),
          ),
        );
      }
      if (batch.idle && this.members.size > 0) {
        const caughtUp =
          (await this.events.countEventsAfter(this.readPosition ?? undefined, 1)) === 0;
        await Promise.all([...this.members].map((member) => member.idleInFeed(caughtUp)));
      }
    }
  }
}
