import {
  CONSENT_EVENT_TYPES,
  type ConsentEvent,
  type JsonObject,
  type SubjectErased,
} from '@custodian/domain';
import type { DocumentLookup, TypedProjection } from '../projection.definition';

export interface ConsentDailyDocument extends JsonObject {
  purposeId: string;
  /** UTC day, YYYY-MM-DD. */
  day: string;
  grants: number;
  revocations: number;
}

/**
 * What one customer added to which day, so an erasure can take it back out; it has neither
 * `purposeId` nor `day`, so the dashboard's queries never meet it.
 */
export interface ConsentDailyLedger extends JsonObject {
  ledgerOf: string;
  erased: boolean;
  /** By daily document id: this customer's grants and revocations in it. */
  cells: Record<string, { grants: number; revocations: number }>;
}

type Doc = ConsentDailyDocument | ConsentDailyLedger;

export const consentDailyId = (purposeId: string, day: string) => `${purposeId}:${day}`;
export const consentDailyLedgerId = (subjectId: string) => `ledger:${subjectId}`;

/**
 * Grants and revocations per purpose and UTC day, for dashboards (counts only). An erased
 * customer's decisions are taken out of every day they were counted in, and any recorded after
 * the erasure are not counted.
 */
export const consentDailyProjection: TypedProjection<Doc, ConsentEvent | SubjectErased> = {
  name: 'consent_daily',
  // v2: erased customers are not counted.
  version: 2,
  eventTypes: [...CONSENT_EVENT_TYPES, 'SubjectErased'],
  indexes: ['purposeId', 'day'],
  consults: (event) => [consentDailyLedgerId(event.data.subjectId)],
  documentIds: (event, lookup) => {
    const ledgerId = consentDailyLedgerId(event.data.subjectId);
    const ledger = ledgerOf(lookup!, ledgerId);
    if (event.type === 'SubjectErased') return [...Object.keys(ledger?.cells ?? {}), ledgerId];
    if (ledger?.erased) return [];
    return [consentDailyId(event.data.purposeId, day(event)), ledgerId];
  },
  apply: (doc, event, id, lookup) => {
    const ledgerId = consentDailyLedgerId(event.data.subjectId);
    const ledger = ledgerOf(lookup!, ledgerId);
    if (event.type === 'SubjectErased') {
      if (id === ledgerId) return { ledgerOf: event.data.subjectId, erased: true, cells: {} };
      // A day this customer was counted in: take their share back out.
      const daily = doc as ConsentDailyDocument;
      const share = ledger!.cells[id];
      const left = {
        ...daily,
        grants: daily.grants - share.grants,
        revocations: daily.revocations - share.revocations,
      };
      return left.grants === 0 && left.revocations === 0 ? null : left;
    }
    const granted = event.type === 'ConsentGranted' ? 1 : 0;
    const revoked = event.type === 'ConsentRevoked' ? 1 : 0;
    const dailyId = consentDailyId(event.data.purposeId, day(event));
    if (id === ledgerId) {
      const cell = ledger?.cells[dailyId] ?? { grants: 0, revocations: 0 };
      return {
        ledgerOf: event.data.subjectId,
        erased: false,
        cells: {
          ...ledger?.cells,
          [dailyId]: { grants: cell.grants + granted, revocations: cell.revocations + revoked },
        },
      };
    }
    const daily = doc as ConsentDailyDocument | null;
    return {
      purposeId: event.data.purposeId,
      day: day(event),
      grants: (daily?.grants ?? 0) + granted,
      revocations: (daily?.revocations ?? 0) + revoked,
    };
  },
};

function ledgerOf(lookup: DocumentLookup<Doc>, id: string): ConsentDailyLedger | null {
  return lookup(id) as ConsentDailyLedger | null;
}

function day(e: ConsentEvent): string {
  return (e.type === 'ConsentGranted' ? e.data.grantedAt : e.data.revokedAt).slice(0, 10);
}
