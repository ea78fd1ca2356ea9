import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { connectorView, ConnectorsService, type ConnectorView } from './connectors.service';

/**
 * The connectors that serve a purpose and/or receive a field (either matches), for other
 * features (a purpose's recipients, the DSAR bundle, the privacy-by-design warning,
 * acknowledgements). Without either: every connector. Suspended ones only when asked.
 */
export class ConnectorsQuery extends Query<ConnectorView[]> {
  constructor(
    readonly by: { purposeId?: string; field?: string } = {},
    readonly includeSuspended = false,
  ) {
    super();
  }
}

@QueryHandler(ConnectorsQuery)
export class ConnectorsQueryHandler implements IQueryHandler<ConnectorsQuery> {
  constructor(private readonly connectors: ConnectorsService) {}

  async execute({ by, includeSuspended }: ConnectorsQuery): Promise<ConnectorView[]> {
    const docs =
      by.purposeId === undefined && by.field === undefined
        ? (await this.connectors.all()).filter((c) => includeSuspended || c.status === 'active')
        : await this.connectors.linked(by, includeSuspended);
    return docs.map(connectorView);
  }
}

/** One connector as the API shows it; null when not registered. */
export class ConnectorQuery extends Query<ConnectorView | null> {
  constructor(readonly connectorId: string) {
    super();
  }
}

@QueryHandler(ConnectorQuery)
export class ConnectorQueryHandler implements IQueryHandler<ConnectorQuery> {
  constructor(private readonly connectors: ConnectorsService) {}

  async execute({ connectorId }: ConnectorQuery): Promise<ConnectorView | null> {
    const doc = await this.connectors.document(connectorId);
    return doc && connectorView(doc);
  }
}
