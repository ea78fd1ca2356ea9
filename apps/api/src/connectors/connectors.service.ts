import { notFound, type ConnectorState } from '@custodian/domain';
import { ProjectionReader, WriteTracker } from '@custodian/platform';
import type { ConnectorDocument, ConnectorLinkDocument } from '@custodian/projections';
import { findAllDocs, READ_STORE, type ReadStore } from '@custodian/read-store';
import { Inject, Injectable } from '@nestjs/common';

/** A connector as the API shows it: no key hash, and of its secrets only ids and validity. */
export type ConnectorView = Omit<ConnectorState, 'apiKeySha256' | 'secrets'> & {
  secrets: Array<{ secretId: string; issuedAt: string; validUntil: string | null }>;
};

export function connectorView(state: ConnectorState): ConnectorView {
  const { apiKeySha256: _hash, secrets, ...rest } = state as ConnectorState & { since?: string };
  const { since: _since, ...connector } = rest as typeof rest & { since?: string };
  return {
    ...connector,
    secrets: secrets.map(({ secretId, issuedAt, validUntil }) => ({
      secretId,
      issuedAt,
      validUntil,
    })),
  };
}

/** Reads of the connector registry (the `connectors` and `connector_links` projections). */
@Injectable()
export class ConnectorsService {
  constructor(
    private readonly projections: ProjectionReader,
    @Inject(READ_STORE) private readonly reads: ReadStore,
    private readonly writes: WriteTracker,
  ) {}

  /** Waits until the registry shows this process's own writes. */
  private async fresh(name: string): Promise<string> {
    const own = this.writes.lastPosition('connector');
    if (own) await this.projections.catchUp(name, { position: own });
    return this.projections.collection(name);
  }

  async document(connectorId: string): Promise<ConnectorDocument | null> {
    const collection = await this.fresh('connectors');
    return (await this.reads.get(collection, connectorId)) as ConnectorDocument | null;
  }

  async get(connectorId: string): Promise<ConnectorDocument> {
    const doc = await this.document(connectorId);
    if (!doc) throw notFound('connectorId', `connector "${connectorId}" is not registered`);
    return doc;
  }

  async list(query: { status?: string; limit?: number; cursor?: string }) {
    const collection = await this.fresh('connectors');
    const page = await this.reads.find(collection, {
      where: query.status ? { status: query.status } : {},
      limit: query.limit ?? 100,
      cursor: query.cursor,
    });
    return {
      items: page.items.map((item) => connectorView(item.doc as ConnectorDocument)),
      nextCursor: page.nextCursor,
    };
  }

  /**
   * The connectors that serve a purpose or receive a field (both given: either), active ones
   * only unless `includeSuspended`.
   */
  async linked(
    by: { purposeId?: string; field?: string },
    includeSuspended = false,
  ): Promise<ConnectorDocument[]> {
    const links = await this.fresh('connector_links');
    const ids = new Set<string>();
    const wheres: Array<Record<string, string> | null> = [
      by.purposeId !== undefined ? { purposeId: by.purposeId } : null,
      by.field !== undefined ? { field: by.field } : null,
    ];
    for (const where of wheres) {
      if (!where) continue;
      for (const doc of await findAllDocs(this.reads, links, {
        where: includeSuspended ? where : { ...where, status: 'active' },
      }))
        ids.add((doc as ConnectorLinkDocument).connectorId);
    }
    if (ids.size === 0) return [];
    const collection = await this.fresh('connectors');
    const docs = await this.reads.getMany(collection, [...ids].sort());
    return [...docs.values()] as ConnectorDocument[];
  }

  /** Every connector (the registry is small: one document each). */
  async all(): Promise<ConnectorDocument[]> {
    return (await findAllDocs(this.reads, await this.fresh('connectors'))) as ConnectorDocument[];
  }
}
