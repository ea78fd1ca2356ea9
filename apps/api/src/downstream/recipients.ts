import type { PurposeState } from '@custodian/domain';
import { QueryBus } from '@nestjs/cqrs';
import { ConnectorsQuery } from '../connectors/connectors.query';
import type { ConnectorView } from '../connectors/connectors.service';

/** A system that receives customers' data for a purpose, as purposes and the DSAR bundle name it. */
export interface Recipient {
  connectorId: string;
  name: string;
  kind: string;
  role: string;
  country: string;
  fields: string[];
  status: string;
  /** The connector's declared AI use, when it declares one. */
  ai?: { analysis: boolean; training: boolean };
}

/** The connectors serving a purpose (suspended ones too: they may still hold copies). */
export async function recipientsOf(queries: QueryBus, purposeId: string): Promise<Recipient[]> {
  const connectors = await queries.execute(new ConnectorsQuery({ purposeId }, true));
  return connectors.map(recipient).sort((a, b) => a.connectorId.localeCompare(b.connectorId));
}

function recipient(c: ConnectorView): Recipient {
  return {
    connectorId: c.connectorId,
    name: c.name,
    kind: c.kind,
    role: c.role,
    country: c.country,
    fields: c.fields,
    status: c.status,
    ...(c.ai ? { ai: c.ai } : {}),
  };
}

/**
 * The privacy-by-design warning: a connector serving the purpose receives fields the purpose's
 * assessment does not list (`minimumFields`), so more leaves than the purpose was judged to need.
 */
export function assessmentWarnings(
  purpose: PurposeState,
  recipients: readonly Recipient[],
): Array<{ connectorId: string; fields: string[]; problem: string }> {
  const listed = new Set(purpose.assessment.minimumFields);
  return recipients.flatMap((r) => {
    const extra = r.fields.filter((f) => !listed.has(f));
    if (extra.length === 0) return [];
    return [
      {
        connectorId: r.connectorId,
        fields: extra,
        problem: `connector "${r.connectorId}" receives ${extra.join(', ')} for purpose "${purpose.purposeId}", which its assessment does not list in minimumFields`,
      },
    ];
  });
}
