import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DownstreamService, type ObligationView } from './downstream.service';

export interface DownstreamOfEvent {
  /** False when the obligations projection had not yet applied the event: the list may lack some. */
  complete: boolean;
  deadlineDays: number;
  connectors: Array<Omit<ObligationView, 'subjectId' | 'eventId'>>;
}

/** For an erasure's receipt: each connector that must forget the customer, and its standing. */
export class DownstreamOfEventQuery extends Query<DownstreamOfEvent> {
  constructor(
    readonly eventId: string,
    /** The event's position in the log: the projection is waited for up to it. */
    readonly position: string,
  ) {
    super();
  }
}

@QueryHandler(DownstreamOfEventQuery)
export class DownstreamOfEventHandler implements IQueryHandler<DownstreamOfEventQuery> {
  constructor(private readonly downstream: DownstreamService) {}

  async execute({ eventId, position }: DownstreamOfEventQuery): Promise<DownstreamOfEvent> {
    const complete = await this.downstream.fresh(position);
    // Acknowledgements this process recorded show at once too.
    await this.downstream.freshOwn();
    const { items } = await this.downstream.list({ eventId });
    return {
      complete,
      deadlineDays: this.downstream.deadlineDays,
      connectors: items.map(({ subjectId: _s, eventId: _e, ...rest }) => rest),
    };
  }
}
