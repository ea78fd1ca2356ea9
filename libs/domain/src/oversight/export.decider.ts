import type { Decider } from '../shared/decider';
import { conflict, DomainError, notFound } from '../shared/domain-error';
import type { FieldMask } from './access.events';

/** Stream `export-<exportId>`: one export's request, approval, content and downloads. */
export const exportStream = (exportId: string) => `export-${exportId}`;

/** Which customers an export takes, besides the lawful basis for its purpose. */
export interface ExportFilter {
  /** Only customers registered from this source. */
  source?: string;
  registeredAfter?: string;
  registeredBefore?: string;
  /** Whether the customer holds a value for the field (never a value to match: this is kept in the log). */
  fields?: Record<string, { present?: boolean }>;
}

export interface ExportRequestData {
  exportId: string;
  actorId: string;
  role: string;
  purposeId: string;
  legalBasis: string;
  justification: string;
  /** `real` values masked per role, or `sandbox`: the same shape with synthetic values. */
  mode: 'real' | 'sandbox';
  fields: Array<{ name: string; mask: FieldMask }>;
  filter: ExportFilter;
  destination: string;
  /** Customers the filter matched when it was asked for. */
  count: number;
  /**
   * SHA-256 (hex) of the sorted ids of those customers (ids are opaque, not personal data),
   * whose list is kept beside the export's files: generation takes only these customers.
   * Absent on exports requested before selections were pinned.
   */
  selectionSha256?: string;
  approvalRequired: boolean;
  approvalThreshold: number;
  policyVersion: number;
  at: string;
}

export interface ExportRequested {
  type: 'ExportRequested';
  data: ExportRequestData;
}
export interface ExportApproved {
  type: 'ExportApproved';
  data: { exportId: string; approverId: string; note: string; at: string };
}
export interface ExportRejected {
  type: 'ExportRejected';
  data: { exportId: string; by: string; reason: string; at: string };
}
export interface ExportCompleted {
  type: 'ExportCompleted';
  data: {
    exportId: string;
    actorId: string;
    role: string;
    purposeId: string;
    mode: 'real' | 'sandbox';
    count: number;
    fields: Array<{ name: string; mask: FieldMask }>;
    destination: string;
    /** SHA-256 (hex) and size of each file's content, as downloaded. */
    files: { ndjson: { sha256: string; bytes: number }; csv: { sha256: string; bytes: number } };
    /** Names the generation run whose files these are (several processes may race to generate). */
    run: string;
    expiresAt: string;
    at: string;
  };
}
export interface ExportFailed {
  type: 'ExportFailed';
  data: { exportId: string; reason: string; at: string };
}
export interface ExportDownloaded {
  type: 'ExportDownloaded';
  data: { exportId: string; actorId: string; format: 'ndjson' | 'csv'; at: string };
}

export type ExportEvent =
  | ExportRequested
  | ExportApproved
  | ExportRejected
  | ExportCompleted
  | ExportFailed
  | ExportDownloaded;

export const EXPORT_EVENT_TYPES: readonly ExportEvent['type'][] = [
  'ExportRequested',
  'ExportApproved',
  'ExportRejected',
  'ExportCompleted',
  'ExportFailed',
  'ExportDownloaded',
];

export type ExportStatus = 'awaiting_approval' | 'generating' | 'completed' | 'rejected' | 'failed';

export interface ExportState {
  request: ExportRequestData;
  status: ExportStatus;
  approval: ExportApproved['data'] | null;
  rejection: ExportRejected['data'] | null;
  completion: ExportCompleted['data'] | null;
  failure: ExportFailed['data'] | null;
  downloads: Array<ExportDownloaded['data']>;
}

export type ExportCommand =
  | { type: 'RequestExport'; request: ExportRequestData }
  | { type: 'ApproveExport'; exportId: string; approverId: string; note: string }
  | { type: 'RejectExport'; exportId: string; by: string; reason: string }
  | { type: 'CompleteExport'; completion: ExportCompleted['data'] }
  | { type: 'FailExport'; exportId: string; reason: string }
  | { type: 'RecordDownload'; exportId: string; actorId: string; format: 'ndjson' | 'csv' };

/**
 * An export's life: requested (waiting for a DPO's approval when large), generated, then
 * downloadable by its requester until it expires. Nobody approves their own export.
 */
export const exportDecider: Decider<ExportCommand, ExportState | null, ExportEvent, { now: Date }> =
  {
    initialState: () => null,

    evolve(state, event) {
      if (event.type === 'ExportRequested') {
        return {
          request: event.data,
          status: event.data.approvalRequired ? 'awaiting_approval' : 'generating',
          approval: null,
          rejection: null,
          completion: null,
          failure: null,
          downloads: [],
        };
      }
      if (!state) return state;
      switch (event.type) {
        case 'ExportApproved':
          return { ...state, status: 'generating', approval: event.data };
        case 'ExportRejected':
          return { ...state, status: 'rejected', rejection: event.data };
        case 'ExportCompleted':
          return { ...state, status: 'completed', completion: event.data };
        case 'ExportFailed':
          return { ...state, status: 'failed', failure: event.data };
        case 'ExportDownloaded':
          return { ...state, downloads: [...state.downloads, event.data] };
      }
    },

    decide(command, state, { now }) {
      const at = now.toISOString();
      if (command.type === 'RequestExport') {
        if (state) throw conflict('exportId', 'this export was already requested');
        return [{ type: 'ExportRequested', data: command.request }];
      }
      const exportId =
        command.type === 'CompleteExport' ? command.completion.exportId : command.exportId;
      if (!state) throw notFound('exportId', `export ${exportId} does not exist`);
      switch (command.type) {
        case 'ApproveExport':
        case 'RejectExport': {
          if (state.status !== 'awaiting_approval')
            throw conflict(
              'exportId',
              `export ${exportId} is ${state.status}, not awaiting approval`,
            );
          const who = command.type === 'ApproveExport' ? command.approverId : command.by;
          if (who === state.request.actorId)
            throw new DomainError(
              'forbidden',
              'exportId',
              'nobody approves or rejects their own export; another DPO must',
            );
          return command.type === 'ApproveExport'
            ? [
                {
                  type: 'ExportApproved',
                  data: { exportId, approverId: command.approverId, note: command.note, at },
                },
              ]
            : [
                {
                  type: 'ExportRejected',
                  data: { exportId, by: command.by, reason: command.reason, at },
                },
              ];
        }
        case 'CompleteExport':
        case 'FailExport':
          if (state.status !== 'generating')
            throw conflict('exportId', `export ${exportId} is ${state.status}, not generating`);
          return command.type === 'CompleteExport'
            ? [{ type: 'ExportCompleted', data: command.completion }]
            : [{ type: 'ExportFailed', data: { exportId, reason: command.reason, at } }];
        case 'RecordDownload':
          if (command.actorId !== state.request.actorId)
            throw new DomainError(
              'forbidden',
              'exportId',
              'only the requester may download an export',
            );
          if (state.status !== 'completed' || !state.completion)
            throw conflict('exportId', `export ${exportId} is ${state.status}, not completed`);
          if (state.completion.expiresAt <= at)
            throw new DomainError(
              'gone',
              'exportId',
              `export ${exportId} expired at ${state.completion.expiresAt}`,
            );
          return [
            {
              type: 'ExportDownloaded',
              data: { exportId, actorId: command.actorId, format: command.format, at },
            },
          ];
      }
    },
  };
