import {
  notFound,
  purposeDecider,
  purposeStream,
  type PurposeEvent,
  type PurposeState,
} from '@custodian/domain';
import { EVENT_STORE, readTypedStream, type EventStore } from '@custodian/event-store';
import { ProjectionReader, WriteTracker } from '@custodian/platform';
import type { PurposeDocument } from '@custodian/projections';
import { READ_STORE, type ReadStore } from '@custodian/read-store';
import { Inject, Injectable } from '@nestjs/common';

const CACHE_MS = 1000;

/** Reads of purposes from their streams (authoritative) or the list projection, cached briefly. */
@Injectable()
export class PurposesService {
  constructor(
    private readonly projections: ProjectionReader,
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Inject(READ_STORE) private readonly reads: ReadStore,
    private readonly writes: WriteTracker,
  ) {}

  private cache: { generation: number; at: number; purposes: Map<string, PurposeState> } | null =
    null;
  private readonly states = new Map<
    string,
    { state: PurposeState | null; generation: number; at: number }
  >();

  /** The purpose's own events, in order (for replaying it to a moment). */
  async history(purposeId: string): Promise<PurposeEvent[]> {
    return readTypedStream<PurposeEvent>(this.events, purposeStream(purposeId));
  }

  /**
   * The purpose as it stands, from its stream; null when never registered. Kept for up to a
   * second, and dropped at once when this process writes any purpose event, so a retirement
   * made elsewhere takes at most a second to refuse new consents here.
   */
  async current(purposeId: string): Promise<PurposeState | null> {
    const generation = this.writes.generation('purpose');
    const cached = this.states.get(purposeId);
    if (cached && cached.generation === generation && Date.now() - cached.at < CACHE_MS)
      return cached.state;
    const history = await this.history(purposeId);
    const state = history.reduce<PurposeState | null>(
      (s, event) => purposeDecider.evolve(s, event),
      null,
    );
    if (this.states.size >= 10_000) this.states.clear();
    this.states.set(purposeId, { state, generation, at: Date.now() });
    return state;
  }

  async get(purposeId: string): Promise<PurposeState> {
    const purpose = await this.current(purposeId);
    if (!purpose) throw notFound('purposeId', `purpose "${purposeId}" is not registered`);
    return purpose;
  }

  async list(query: { status?: string; limit?: number; cursor?: string }) {
    const collection = await this.projections.collection('purposes');
    const page = await this.reads.find(collection, {
      where: query.status ? { status: query.status } : {},
      limit: query.limit ?? 100,
      cursor: query.cursor,
    });
    return {
      items: page.items.map((item) => withoutIndexFields(item.doc as PurposeDocument)),
      nextCursor: page.nextCursor,
    };
  }

  /**
   * Every purpose ever registered, from the list projection. Cached until this process writes
   * a purpose event (then read again once the projection has applied it) or for one second,
   * so other processes' changes show within a second of being projected.
   */
  async all(): Promise<Map<string, PurposeState>> {
    const generation = this.writes.generation('purpose');
    if (
      this.cache &&
      this.cache.generation === generation &&
      Date.now() - this.cache.at < CACHE_MS
    ) {
      return this.cache.purposes;
    }
    const position = this.writes.lastPosition('purpose');
    if (position) await this.projections.catchUp('purposes', { position });
    const collection = await this.projections.collection('purposes');
    const purposes = new Map<string, PurposeState>();
    let cursor: string | undefined;
    do {
      const page = await this.reads.find(collection, { limit: 1000, cursor });
      for (const item of page.items)
        purposes.set(item.id, withoutIndexFields(item.doc as PurposeDocument));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    this.cache = { generation, at: Date.now(), purposes };
    return purposes;
  }
}

function withoutIndexFields(doc: PurposeDocument): PurposeState {
  const { gpcCovered: _gpcCovered, ...purpose } = doc;
  return purpose as PurposeState;
}
