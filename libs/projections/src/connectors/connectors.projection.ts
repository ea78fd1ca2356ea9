import {
  CONNECTOR_EVENT_TYPES,
  connectorDecider,
  type ConnectorEvent,
  type ConnectorState,
  type JsonObject,
} from '@custodian/domain';
import type { TypedProjection } from '../projection.definition';
import { sortablePosition } from '../sortable-position';

/**
 * A connector as it stands, with where in the log it was registered (`since`, a sortable
 * position): deliveries and the feed start after it.
 */
export type ConnectorDocument = ConnectorState & { since: string } & JsonObject;

/** The connector registry (the data map), one document per connector. */
export const connectorsProjection: TypedProjection<ConnectorDocument, ConnectorEvent> = {
  name: 'connectors',
  version: 1,
  eventTypes: CONNECTOR_EVENT_TYPES,
  indexes: ['status', 'kind', 'role', 'country'],
  documentIds: (event) => [event.data.connectorId],
  apply: (doc, event) => {
    const state = connectorDecider.evolve(doc, event);
    if (!state) return null;
    const since = doc?.since ?? sortablePosition(event.position);
    return { ...state, since } as ConnectorDocument;
  },
};

/**
 * One document per (connector, purpose) and (connector, field): which connectors serve a
 * purpose, which receive a field, queryable by either (`purposeId`, `field`), and whether
 * each is active.
 */
export interface ConnectorLinkDocument extends JsonObject {
  connectorId: string;
  purposeId: string | null;
  field: string | null;
  status: 'active' | 'suspended';
}

export const connectorLinkId = (connectorId: string, on: 'purpose' | 'field', name: string) =>
  `${connectorId}/${on}/${name}`;

export const connectorLinksProjection: TypedProjection<ConnectorLinkDocument, ConnectorEvent> = {
  name: 'connector_links',
  version: 1,
  eventTypes: ['ConnectorRegistered', 'ConnectorSuspended', 'ConnectorReinstated'],
  indexes: ['connectorId', 'purposeId', 'field', 'status'],
  documentIds: (event) =>
    event.type === 'ConnectorRegistered'
      ? [
          ...event.data.purposes.map((p) => connectorLinkId(event.data.connectorId, 'purpose', p)),
          ...event.data.fields.map((f) => connectorLinkId(event.data.connectorId, 'field', f)),
        ]
      : [],
  documentsWhere: (event) =>
    event.type === 'ConnectorRegistered' ? null : { connectorId: event.data.connectorId },
  apply: (doc, event, id) => {
    if (event.type === 'ConnectorRegistered') {
      const [connectorId, on, name] = id.split('/');
      return {
        connectorId,
        purposeId: on === 'purpose' ? name : null,
        field: on === 'field' ? name : null,
        status: 'active',
      };
    }
    if (!doc || event.type === 'WebhookSecretIssued') return doc;
    return { ...doc, status: event.type === 'ConnectorSuspended' ? 'suspended' : 'active' };
  },
};
