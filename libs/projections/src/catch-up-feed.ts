import { upcastLog, type EventStore, type RecordedEvent } from '@custodian/event-store';

/** What the shared catch-up needs of a projection far behind the log. */
export interface CatchUpMember {
  readonly name: string;
  /** The last event it has applied. */
  readonly position: string | null;
  /** Stopped meanwhile: the catch-up hands it nothing more. */
  readonly stopped: boolean;
  /** Applies the events after its position (those before are skipped), writes and checkpoint in one commit. */
  applyFromFeed(batch: readonly RecordedEvent[]): Promise<void>;
  /** It failed during the catch-up: it goes on alone, retrying with backoff. */
  detach(error: unknown): void;
  /** The catch-up has reached the log's head: it goes on alone for the last few events, then joins the live feed. */
  resumeAlone(): void;
}

/**
 * One read of the log for every projection far behind it (a first start, deleted read models,
 * several version bumps at once): the log is read in large pages from the lowest of their
 * positions, decoded and upcast once per page, and every member applies the page at the same
 * time, so their commits land in one turn and the read store groups them into one transaction.
 * A member already past part of a page skips that part. Once a page comes back short (the head
 * is near), each member goes on alone for the last few events and joins the live shared feed as
 * before. A member that fails leaves and retries alone; the others go on.
 */
export class CatchUpFeed {
  /** Pages read so far (each is read and decoded once for every member). */
  pagesRead = 0;

  constructor(
    private readonly events: EventStore,
    private readonly pageSize: number,
  ) {}

  async run(members: readonly CatchUpMember[]): Promise<void> {
    let active = members.filter((m) => !m.stopped);
    let after = lowest(this.events, active);
    try {
      while (active.length > 0) {
        const page = await this.events.readAll({
          after: after ?? undefined,
          maxCount: this.pageSize,
        });
        this.pagesRead++;
        if (page.length === 0) break;
        const items = upcastLog(page);
        const failed = new Set<CatchUpMember>();
        await Promise.all(
          active.map((member) =>
            member.applyFromFeed(items).catch((error: unknown) => {
              failed.add(member);
              member.detach(error);
            }),
          ),
        );
        active = active.filter((m) => !failed.has(m) && !m.stopped);
        after = page[page.length - 1].position;
        if (page.length < this.pageSize) break;
      }
    } catch (error) {
      // Reading the log failed: every member retries alone, with backoff.
      for (const member of active) if (!member.stopped) member.detach(error);
      return;
    }
    for (const member of active) if (!member.stopped) member.resumeAlone();
  }
}

function lowest(events: EventStore, members: readonly CatchUpMember[]): string | null {
  let low: string | null | undefined;
  for (const { position } of members) {
    if (position === null) return null;
    if (low === undefined || events.comparePositions(position, low!) < 0) low = position;
  }
  return low ?? null;
}
