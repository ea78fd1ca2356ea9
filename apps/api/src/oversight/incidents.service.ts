import {
  actorStream,
  fold,
  incidentDeadlines,
  incidentDecider,
  incidentStream,
  notFound,
  type ActorEvent,
  type IncidentEvent,
  type IncidentState,
} from '@custodian/domain';
import { EVENT_STORE, readTypedStream, type EventStore } from '@custodian/event-store';
import { ProjectionReader } from '@custodian/platform';
import { hourOf, type ActorReadsDocument, type IncidentDocument } from '@custodian/projections';
import { findAll, READ_STORE, type ReadStore, type WhereValue } from '@custodian/read-store';
import { Inject, Injectable } from '@nestjs/common';

export type IncidentView = Awaited<ReturnType<IncidentsService['describe']>>;

/**
 * Incidents as the API shows them: the customers affected, computed from the access and export
 * records in the window, a timeline, and the legal notification deadlines.
 */
@Injectable()
export class IncidentsService {
  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Inject(READ_STORE) private readonly reads: ReadStore,
    private readonly projections: ProjectionReader,
  ) {}

  async get(incidentId: string, now: Date) {
    const state = fold(
      incidentDecider,
      await readTypedStream<IncidentEvent>(this.events, incidentStream(incidentId)),
    );
    if (!state) throw notFound('incidentId', `incident ${incidentId} does not exist`);
    return this.describe(state, now);
  }

  async list(status: 'open' | 'closed' | undefined, now: Date, limit: number, cursor?: string) {
    const where: Record<string, WhereValue> = status ? { status } : {};
    const page = await this.reads.find(await this.projections.collection('incidents'), {
      where,
      sort: { field: 'openedAt', direction: 'desc' },
      limit,
      cursor,
    });
    return {
      incidents: page.items.map(({ doc }) => {
        const incident = doc as IncidentDocument;
        const deadlines = incidentDeadlines(incident.state, now);
        return {
          incidentId: incident.incidentId,
          status: incident.status,
          title: incident.title,
          openedAt: incident.openedAt,
          detectedAt: incident.detectedAt,
          closedAt: incident.closedAt,
          overdue: deadlines.filter((d) => d.overdue).map((d) => d.obligation),
        };
      }),
      nextCursor: page.nextCursor,
    };
  }

  /** The incident as the API shows it: window, affected customers, deadlines, timeline. */
  async describe(state: IncidentState, now: Date) {
    const { opened } = state;
    const affected =
      opened.subjectIds ?? (await this.affected(opened.actorIds, opened.from, opened.to));
    return {
      incidentId: opened.incidentId,
      status: state.closed ? 'closed' : 'open',
      title: opened.title,
      description: opened.description,
      source: opened.source,
      actorIds: opened.actorIds,
      window: { from: opened.from, to: opened.to },
      jurisdictions: opened.jurisdictions,
      risk: opened.risk,
      detectedAt: opened.detectedAt,
      openedAt: opened.at,
      openedBy: opened.openedBy,
      affected: { count: affected.length, subjectIds: affected },
      deadlines: incidentDeadlines(state, now),
      timeline: await this.timeline(state),
      closed: state.closed && {
        at: state.closed.at,
        by: state.closed.by,
        remediation: state.closed.remediation,
        unmet: state.closed.unmet,
      },
    };
  }

  /**
   * The customers whose data the incident's actors read or exported in its window (refused
   * reads disclosed nothing), from the access and export records.
   */
  private async affected(actorIds: string[], from: string, to: string): Promise<string[]> {
    await this.projections.catchUp('actor_reads');
    const collection = await this.projections.collection('actor_reads');
    const subjects = new Set<string>();
    const hour = { gte: hourOf(from), lt: to };
    for (const actorId of actorIds.length > 0 ? actorIds : [null]) {
      const where: Record<string, WhereValue> = actorId === null ? { hour } : { actorId, hour };
      for await (const doc of findAll(this.reads, collection, { where })) {
        const reads = doc as ActorReadsDocument;
        if (reads.at.some((at) => at >= from && at < to)) subjects.add(reads.subjectId);
      }
    }
    return [...subjects].sort();
  }

  /** The incident's own record, and the anomalies and containment of its actors since the window opened. */
  private async timeline(state: IncidentState) {
    const { opened } = state;
    const entries: Array<{
      at: string;
      what: string;
      by: string;
      detail: Record<string, unknown>;
    }> = [];
    for (const actorId of opened.actorIds) {
      for (const event of await readTypedStream<ActorEvent>(this.events, actorStream(actorId))) {
        const at = event.type === 'AnomalyDetected' ? event.data.detectedAt : event.data.at;
        if (at < opened.from) continue;
        if (event.type === 'AnomalyDetected')
          entries.push({
            at,
            what: 'anomaly_detected',
            by: 'anomaly-detector',
            detail: {
              anomalyId: event.data.anomalyId,
              actorId,
              ruleId: event.data.ruleId,
              value: event.data.value,
            },
          });
        else if (event.type === 'ActorSuspended')
          entries.push({
            at,
            what: 'actor_suspended',
            by:
              event.data.by.kind === 'rule'
                ? `rule:${event.data.by.ruleId}`
                : event.data.by.actorId,
            detail: { actorId, reason: event.data.reason },
          });
        else
          entries.push({
            at,
            what: 'actor_reinstated',
            by: event.data.by,
            detail: { actorId, note: event.data.note },
          });
      }
    }
    entries.push({
      at: opened.at,
      what: 'opened',
      by: opened.openedBy,
      detail: { title: opened.title, source: opened.source },
    });
    for (const note of state.notes)
      entries.push({ at: note.at, what: 'note', by: note.by, detail: { text: note.text } });
    for (const a of state.assessments)
      entries.push({
        at: a.at,
        what: 'risk_assessed',
        by: a.by,
        detail: { risk: a.risk, rationale: a.rationale },
      });
    for (const n of state.notifications)
      entries.push({
        at: n.at,
        what: 'authority_notified',
        by: n.by,
        detail: { obligation: n.obligation, reference: n.reference },
      });
    if (state.closed)
      entries.push({
        at: state.closed.at,
        what: 'closed',
        by: state.closed.by,
        detail: { remediation: state.closed.remediation, unmet: state.closed.unmet },
      });
    return entries.sort((a, b) => a.at.localeCompare(b.at));
  }
}
