import {
  notFound,
  purposeDecider,
  purposeStream,
  type PurposeDefinition,
  type PurposeEvent,
  type PurposeState,
} from '@custodian/domain';
import { EVENT_STORE, type EventStore } from '@custodian/event-store';
import { CommandExecutor, ProjectionReader, type CommandMeta } from '@custodian/platform';
import type { PurposeDocument } from '@custodian/projections';
import { READ_STORE, type ReadStore } from '@custodian/read-store';
import { Inject, Injectable } from '@nestjs/common';
import type { PublishNoticeDto } from './register-purpose.dto';

/** Purpose commands, and reads of purposes from their streams (authoritative) or the list projection. */
@Injectable()
export class PurposesService {
  constructor(
    private readonly executor: CommandExecutor,
    private readonly projections: ProjectionReader,
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Inject(READ_STORE) private readonly reads: ReadStore,
  ) {}

  async register(definition: PurposeDefinition, meta: CommandMeta): Promise<PurposeState> {
    const outcome = await this.executor.execute(
      purposeStream(definition.purposeId),
      purposeDecider,
      { type: 'RegisterPurpose', definition },
      () => ({ now: meta.now }),
      meta,
    );
    return outcome.state!;
  }

  async publishNotice(
    purposeId: string,
    notice: PublishNoticeDto,
    meta: CommandMeta,
  ): Promise<PurposeState> {
    const { version, language, url, textSha256, requiresReconsent } = notice;
    const outcome = await this.executor.execute(
      purposeStream(purposeId),
      purposeDecider,
      {
        type: 'PublishNotice',
        purposeId,
        notice: { version, language, url, textSha256, requiresReconsent },
      },
      () => ({ now: meta.now }),
      meta,
    );
    return outcome.state!;
  }

  async activate(purposeId: string, meta: CommandMeta): Promise<PurposeState> {
    const outcome = await this.executor.execute(
      purposeStream(purposeId),
      purposeDecider,
      { type: 'ActivatePurpose', purposeId },
      () => ({ now: meta.now }),
      meta,
    );
    return outcome.state!;
  }

  async retire(purposeId: string, meta: CommandMeta): Promise<PurposeState> {
    const outcome = await this.executor.execute(
      purposeStream(purposeId),
      purposeDecider,
      { type: 'RetirePurpose', purposeId },
      () => ({ now: meta.now }),
      meta,
    );
    return outcome.state!;
  }

  /** The purpose's own events, in order (for replaying it to a moment). */
  async history(purposeId: string): Promise<PurposeEvent[]> {
    return (await this.events.readStream(purposeStream(purposeId))) as unknown as PurposeEvent[];
  }

  /** The purpose as it stands, from its stream; null when never registered. */
  async current(purposeId: string): Promise<PurposeState | null> {
    const history = await this.history(purposeId);
    return history.reduce<PurposeState | null>(
      (state, event) => purposeDecider.evolve(state, event),
      null,
    );
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

  /** Ids of every purpose ever registered (for replays, which need retired ones too). */
  async allIds(): Promise<string[]> {
    await this.projections.catchUp('purposes');
    const collection = await this.projections.collection('purposes');
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.reads.find(collection, { limit: 1000, cursor });
      ids.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return ids;
  }

  /** Active purposes a Global Privacy Control signal opts customers out of. */
  async gpcCovered(): Promise<PurposeState[]> {
    const collection = await this.projections.collection('purposes');
    const page = await this.reads.find(collection, {
      where: { gpcCovered: true, status: 'active' },
      limit: 1000,
    });
    return page.items.map((item) => withoutIndexFields(item.doc as PurposeDocument));
  }
}

function withoutIndexFields(doc: PurposeDocument): PurposeState {
  const { gpcCovered: _gpcCovered, ...purpose } = doc;
  return purpose as PurposeState;
}
