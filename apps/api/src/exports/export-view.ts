import {
  exportDecider,
  exportStream,
  fold,
  type ExportEvent,
  type ExportState,
} from '@custodian/domain';
import { readTypedStream, type EventStore, type Recorded } from '@custodian/event-store';
import type { ProjectionReader } from '@custodian/platform';
import type { ExportDocument } from '@custodian/projections';
import { findAllDocs, type ReadStore } from '@custodian/read-store';

/** An export's state from its own stream (null: no such export), and the events it was folded from. */
export async function loadExport(
  events: EventStore,
  exportId: string,
): Promise<{ state: ExportState | null; history: Recorded<ExportEvent>[] }> {
  const history = await readTypedStream<ExportEvent>(events, exportStream(exportId));
  return { state: fold(exportDecider, history), history };
}

export type ExportView = ReturnType<typeof describeExport>;

/** The export as the API shows it. */
export function describeExport(state: ExportState) {
  const { request, completion } = state;
  return {
    exportId: request.exportId,
    status: state.status,
    requestedBy: request.actorId,
    role: request.role,
    purposeId: request.purposeId,
    legalBasis: request.legalBasis,
    justification: request.justification,
    mode: request.mode,
    fields: request.fields,
    filter: request.filter,
    destination: request.destination,
    requestedAt: request.at,
    requestedCount: request.count,
    approvalRequired: request.approvalRequired,
    approvalThreshold: request.approvalThreshold,
    approval: state.approval && {
      by: state.approval.approverId,
      at: state.approval.at,
      note: state.approval.note,
    },
    rejection: state.rejection && {
      by: state.rejection.by,
      at: state.rejection.at,
      reason: state.rejection.reason,
    },
    failure: state.failure && { at: state.failure.at, reason: state.failure.reason },
    result: completion && {
      count: completion.count,
      completedAt: completion.at,
      expiresAt: completion.expiresAt,
      files: completion.files,
    },
    downloads: state.downloads.map((d) => ({ at: d.at, format: d.format })),
  };
}

/** Exports in a status, from the exports projection. */
export async function exportsWhere(
  reads: ReadStore,
  projections: ProjectionReader,
  status: string,
): Promise<ExportDocument[]> {
  const collection = await projections.collection('exports');
  return (await findAllDocs(reads, collection, { where: { status } })) as ExportDocument[];
}
