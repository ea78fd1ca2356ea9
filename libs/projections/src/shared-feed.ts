import { upcastLog, type EventStore, type RecordedEvent } from '@custodian/event-store';
import { batched } from './batched';
import type { FollowerSettings } from './runner-options';

/** What the shared feed needs of a projection or processor that has joined it. */
export interface FeedMember {
  /** The last event it has handled. */
  readonly position: string | null;
  /** Projections apply each batch before processors see it, so a processor may rely on them. */
  readonly stage: 'projection' | 'processor';
  applyFromFeed(batch: readonly RecordedEvent[]): Promise<void>;
  idleInFeed(caughtUp: boolean): Promise<void>;
  /** It failed (or asked to leave) while in the feed, and goes on with its own subscription. */
  detach(error: unknown): void;
}

/**
 * Thrown by a member that must follow the log on its own for a while without having failed
 * (a processor whose projections have not applied the batch yet: waiting in the feed would
 * hold every other member back).
 */
export class LeaveFeed extends Error {}

const STAGES: ReadonlyArray<FeedMember['stage']> = ['projection', 'processor'];

/**
 * One subscription to the log for every projection and processor that has caught up. Each
 * catches up on its own subscription (a rebuild may start far behind the others), and once it
 * is live and the feed has not read past it, it joins the feed and drops its own: the log is
 * then read, parsed and batched once for all of them, and the projections' commits for a batch
 * land in the same turn, so the read store groups them into one transaction. The processors
 * get the batch once the projections have applied it. A member that fails while in the feed
 * leaves it and retries on its own.
 */
export class SharedFeed {
  private readonly members = new Set<FeedMember>();
  /** The last position the feed has read (including a batch still being applied). */
  private readPosition: string | null = null;
  private controller: AbortController | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly events: EventStore,
    private readonly settings: FollowerSettings,
  ) {}

  /** Takes over a caught-up member, unless the feed has already read past it. */
  join(member: FeedMember): boolean {
    if (this.stopped) return false;
    if (this.running) {
      if (
        this.readPosition !== null &&
        (member.position === null ||
          this.events.comparePositions(member.position, this.readPosition) < 0)
      )
        return false;
    } else {
      this.readPosition = member.position;
      this.start();
    }
    this.members.add(member);
    return true;
  }

  leave(member: FeedMember): void {
    this.members.delete(member);
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
    const { batchSize, lingerMs } = this.settings;
    for await (const batch of batched(subscription, batchSize, lingerMs ?? 0)) {
      if (batch.items.length > 0) {
        this.readPosition = batch.items[batch.items.length - 1].position;
        // Upcast once here for every member, not once per projection.
        const items = upcastLog(batch.items);
        const members = [...this.members];
        for (const stage of STAGES) {
          await Promise.all(
            members
              .filter((member) => member.stage === stage && this.members.has(member))
              .map((member) =>
                member.applyFromFeed(items).catch((error: unknown) => {
                  this.members.delete(member);
                  member.detach(error);
                }),
              ),
          );
        }
      }
      if (batch.idle && this.members.size > 0) {
        const caughtUp =
          (await this.events.countEventsAfter(this.readPosition ?? undefined, 1)) === 0;
        await Promise.all([...this.members].map((member) => member.idleInFeed(caughtUp)));
      }
    }
  }
}
