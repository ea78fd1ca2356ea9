import type {
  ConsentEvent,
  DownstreamAcknowledged,
  JsonObject,
  PrivacyRequestEvent,
  SubjectErased,
} from '@custodian/domain';
import type { TypedProjection } from '../projection.definition';
import { accessHourId, accessHourOf, hourKey } from './access-hours.projection';

/**
 * Trend counters of one UTC hour (`trend_hours`), regrouped into local days and weeks like the
 * access hours: consent decisions and revocations per purpose, the time privacy requests
 * answered in this hour took, and the delay of connectors' acknowledgements made in this hour.
 * Counts and durations only; no customer ids.
 */
export interface TrendHourDocument extends JsonObject {
  kind: 'hour';
  hour: string;
  /** Consent decisions recorded per purpose: grants, and revocations by trigger. */
  consents: Record<string, { granted?: number; request?: number; gpc?: number }>;
  /** Privacy requests answered (completed or refused) in this hour: ms from receipt, by kind. */
  answers: Record<string, number[]>;
  /** Acknowledgements made in this hour: ms from the erasure or withdrawal, by connector. */
  acknowledgements: Record<string, number[]>;
}

/** A privacy request still open: its kind and when it was received (dropped once answered). */
export interface TrendRequestDocument extends JsonObject {
  kind: 'request';
  requestKind: string;
  receivedAt: string;
}

/** When an erasure or withdrawal a connector may acknowledge happened (by its event id). */
export interface TrendCauseDocument extends JsonObject {
  kind: 'cause';
  at: string;
}

export type TrendHoursDocument = TrendHourDocument | TrendRequestDocument | TrendCauseDocument;

type TrendEvent = ConsentEvent | PrivacyRequestEvent | DownstreamAcknowledged | SubjectErased;

const requestId = (id: string) => `r:${id}`;
const causeId = (eventId: string) => `e:${eventId}`;

const emptyHour = (hour: number): TrendHourDocument => ({
  kind: 'hour',
  hour: hourKey(hour),
  consents: {},
  answers: {},
  acknowledgements: {},
});

function timeOf(event: TrendEvent): string {
  switch (event.type) {
    case 'ConsentGranted':
      return event.data.grantedAt;
    case 'ConsentRevoked':
      return event.data.revokedAt;
    case 'SubjectErased':
      return event.data.erasedAt;
    case 'DownstreamAcknowledged':
      return event.data.acknowledgedAt;
    default:
      return event.data.at;
  }
}

/**
 * Trends for the dashboards: one document per UTC hour, plus a marker per open privacy request
 * (removed when it is answered) and per erasure or revocation (its time, for the delay of the
 * connectors' acknowledgements of it).
 */
export const trendHoursProjection: TypedProjection<TrendHoursDocument, TrendEvent> = {
  name: 'trend_hours',
  version: 1,
  eventTypes: [
    'ConsentGranted',
    'ConsentRevoked',
    'SubjectErased',
    'PrivacyRequestReceived',
    'PrivacyRequestCompleted',
    'PrivacyRequestRefused',
    'DownstreamAcknowledged',
  ],
  indexes: ['hour'],
  consults: (event) => {
    switch (event.type) {
      case 'PrivacyRequestCompleted':
      case 'PrivacyRequestRefused':
        return [requestId(event.data.requestId)];
      case 'DownstreamAcknowledged':
        return [causeId(event.data.eventId)];
      default:
        return [];
    }
  },
  documentIds: (event, lookup) => {
    const hour = accessHourId(accessHourOf(timeOf(event)));
    switch (event.type) {
      case 'ConsentGranted':
        return [hour];
      case 'ConsentRevoked':
        return [hour, causeId(event.id)];
      case 'SubjectErased':
        return [causeId(event.id)];
      case 'PrivacyRequestReceived':
        return [requestId(event.data.requestId)];
      case 'PrivacyRequestCompleted':
      case 'PrivacyRequestRefused':
        // An answer to a request this projection never saw received counts nowhere.
        return lookup!(requestId(event.data.requestId))
          ? [hour, requestId(event.data.requestId)]
          : [];
      case 'DownstreamAcknowledged':
        return lookup!(causeId(event.data.eventId)) ? [hour] : [];
      default:
        return [];
    }
  },
  apply: (doc, event, id, lookup) => {
    const at = timeOf(event);
    switch (event.type) {
      case 'SubjectErased':
        return { kind: 'cause', at };
      case 'PrivacyRequestReceived':
        return { kind: 'request', requestKind: event.data.kind, receivedAt: event.data.receivedAt };
      case 'ConsentRevoked':
        if (id === causeId(event.id)) return { kind: 'cause', at };
        break;
      case 'PrivacyRequestCompleted':
      case 'PrivacyRequestRefused':
        if (id === requestId(event.data.requestId)) return null;
        break;
      default:
    }
    const hour = (doc as TrendHourDocument | null) ?? emptyHour(accessHourOf(at));
    switch (event.type) {
      case 'ConsentGranted':
      case 'ConsentRevoked': {
        const key = event.type === 'ConsentGranted' ? 'granted' : event.data.trigger;
        const cell = hour.consents[event.data.purposeId] ?? {};
        return {
          ...hour,
          consents: {
            ...hour.consents,
            [event.data.purposeId]: { ...cell, [key]: (cell[key] ?? 0) + 1 },
          },
        };
      }
      case 'PrivacyRequestCompleted':
      case 'PrivacyRequestRefused': {
        const request = lookup!(requestId(event.data.requestId)) as TrendRequestDocument;
        const took = Date.parse(at) - Date.parse(request.receivedAt);
        const kind = request.requestKind;
        return {
          ...hour,
          answers: { ...hour.answers, [kind]: [...(hour.answers[kind] ?? []), took] },
        };
      }
      case 'DownstreamAcknowledged': {
        const cause = lookup!(causeId(event.data.eventId)) as TrendCauseDocument;
        const delay = Date.parse(at) - Date.parse(cause.at);
        const connector = event.data.connectorId;
        return {
          ...hour,
          acknowledgements: {
            ...hour.acknowledgements,
            [connector]: [...(hour.acknowledgements[connector] ?? []), delay],
          },
        };
      }
      default:
        return doc;
    }
  },
};
