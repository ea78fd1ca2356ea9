import {
  exportDecider,
  type ExportEvent,
  type ExportState,
  type JsonObject,
} from '@custodian/domain';
import type { TypedProjection } from '../projection.definition';

export interface ExportDocument extends JsonObject {
  exportId: string;
  status: string;
  requestedBy: string;
  role: string;
  purposeId: string;
  mode: string;
  destination: string;
  fields: string[];
  requestedCount: number;
  approvalRequired: boolean;
  approvedBy: string | null;
  rows: number | null;
  requestedAt: string;
  completedAt: string | null;
  expiresAt: string | null;
  downloads: number;
  /** UTC day of the request, for dashboards. */
  day: string;
  /** The export's state, folded forward by each event (the fields above are read from it). */
  state: ExportState & JsonObject;
}

/** Exports by status, requester, purpose and day, for the dashboards and the expiry sweep. */
export const exportsProjection: TypedProjection<ExportDocument, ExportEvent> = {
  name: 'exports',
  version: 1,
  eventTypes: [
    'ExportRequested',
    'ExportApproved',
    'ExportRejected',
    'ExportCompleted',
    'ExportFailed',
    'ExportDownloaded',
  ],
  indexes: ['status', 'requestedBy', 'day', 'purposeId', 'approvedBy', 'requestedAt'],
  documentIds: (event) => [String(event.data.exportId)],
  apply: (doc, event) => {
    const state = exportDecider.evolve((doc?.state as ExportState | undefined) ?? null, event);
    if (!state) return doc;
    const { request } = state;
    return {
      exportId: request.exportId,
      status: state.status,
      requestedBy: request.actorId,
      role: request.role,
      purposeId: request.purposeId,
      mode: request.mode,
      destination: request.destination,
      fields: request.fields.map((f) => f.name),
      requestedCount: request.count,
      approvalRequired: request.approvalRequired,
      approvedBy: state.approval?.approverId ?? null,
      rows: state.completion?.count ?? null,
      requestedAt: request.at,
      completedAt: state.completion?.at ?? null,
      expiresAt: state.completion?.expiresAt ?? null,
      downloads: state.downloads.length,
      day: request.at.slice(0, 10),
      state: state as ExportState & JsonObject,
    };
  },
};
