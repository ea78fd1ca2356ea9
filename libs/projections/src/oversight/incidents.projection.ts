import {
  incidentDecider,
  INCIDENT_EVENT_TYPES,
  type IncidentEvent,
  type IncidentState,
  type JsonObject,
} from '@custodian/domain';
import type { TypedProjection } from '../projection.definition';

export interface IncidentDocument extends JsonObject {
  incidentId: string;
  status: 'open' | 'closed';
  title: string;
  openedAt: string;
  detectedAt: string;
  closedAt: string | null;
  state: IncidentState & JsonObject;
}

/**
 * Incidents by status; each document holds the whole state (deadlines are computed when read).
 * Version 2: the state holds the risk and the reasons for obligations left unmet (rebuilt from
 * the upcast events, so no stored state lacks them).
 */
export const incidentsProjection: TypedProjection<IncidentDocument, IncidentEvent> = {
  name: 'incidents',
  version: 2,
  eventTypes: INCIDENT_EVENT_TYPES,
  indexes: ['status', 'openedAt'],
  documentIds: (event) => [String(event.data.incidentId)],
  apply: (doc, event) => {
    const state = incidentDecider.evolve((doc?.state as IncidentState | undefined) ?? null, event);
    if (!state) return doc;
    return {
      incidentId: state.opened.incidentId,
      status: state.closed ? 'closed' : 'open',
      title: state.opened.title,
      openedAt: state.opened.at,
      detectedAt: state.opened.detectedAt,
      closedAt: state.closed?.at ?? null,
      state: state as IncidentState & JsonObject,
    };
  },
};
