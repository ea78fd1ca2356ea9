import type { ValidatedAppend } from '../append-validation';
import type { RecordedEvent } from '../event-store.port';

/** An event as the current write transaction inserted it, before anyone has read it back. */
export interface JustWritten {
  position: number;
  revision: number;
  stream: string;
  recordedAt: number;
  event: ValidatedAppend['events'][number];
}

interface RecentEvent {
  written: JustWritten;
  event?: RecordedEvent;
}

/**
 * The newest events this process wrote, contiguous in position, so subscribers (every
 * projection follows the head) read them from memory instead of each querying and parsing the
 * same rows. Events are immutable; the objects handed out are shared and must not be mutated.
 */
export class RecentEvents {
  private recent: RecentEvent[] = [];
  private start = 0;

  constructor(private readonly max: number) {}

  /** Up to `count` events after `after` from memory, or null when memory does not hold the next one. */
  after(after: number, count: number): RecordedEvent[] | null {
    const first = after + 1 - this.start;
    if (this.recent.length === 0 || first < 0 || first >= this.recent.length) return null;
    // Built on first read and shared by every subscriber after that.
    return this.recent
      .slice(first, first + count)
      .map((entry) => (entry.event ??= materialize(entry.written)));
  }

  remember(written: readonly JustWritten[]): void {
    if (written.length === 0) return;
    const last = this.start + this.recent.length - 1;
    // Another process wrote in between: what memory holds would no longer be contiguous.
    if (this.recent.length > 0 && written[0].position !== last + 1) this.recent = [];
    if (this.recent.length === 0) this.start = written[0].position;
    for (const w of written) this.recent.push({ written: w });
    // Trimmed in chunks so that appending stays cheap.
    if (this.recent.length > 2 * this.max) {
      const excess = this.recent.length - this.max;
      this.recent.splice(0, excess);
      this.start += excess;
    }
  }
}

function materialize(w: JustWritten): RecordedEvent {
  return {
    id: w.event.id,
    stream: w.stream,
    revision: BigInt(w.revision),
    position: String(w.position),
    type: w.event.type,
    data: JSON.parse(w.event.dataJson),
    metadata: JSON.parse(w.event.metadataJson),
    recordedAt: new Date(w.recordedAt),
  };
}
