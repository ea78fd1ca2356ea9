import type { JsonObject } from '@custodian/domain';
import type { ProjectionDefinition } from '../projection.definition';

export interface EventCount extends JsonObject {
  type: string;
  category: string;
  count: number;
  firstRecordedAt: string;
  lastRecordedAt: string;
}

/**
 * How many events of each type and stream category the log holds (audit records of reads
 * excepted): an operational read model for dashboards and metrics. Holds no personal values.
 */
export const eventCountsProjection: ProjectionDefinition<EventCount> = {
  name: 'event_counts',
  version: 1,
  eventTypes: 'all',
  indexes: ['category'],
  // Audit records of reads (access-<id>) are the bulk of the log and have their own read
  // models; counting each here would double the work of every audited read.
  documentIds: (event) =>
    category(event.stream) === 'access' ? [] : [`${category(event.stream)}:${event.type}`],
  apply: (doc, event) => {
    const at = event.recordedAt.toISOString();
    return {
      type: event.type,
      category: category(event.stream),
      count: (doc?.count ?? 0) + 1,
      firstRecordedAt: doc?.firstRecordedAt ?? at,
      lastRecordedAt: at,
    };
  },
};

/** `consent-<id>` → `consent`: stream names are `<category>-<id>`. */
function category(stream: string): string {
  const dash = stream.indexOf('-');
  return dash > 0 ? stream.slice(0, dash) : stream;
}
