import type { ConnectorDocument } from '@custodian/projections';
import { findAll, READ_STORE, type ReadStore } from '@custodian/read-store';
import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { sha256Hex } from '../auth/actors-file';
import { WriteTracker } from '../commands/write-tracker';
import { ProjectionReader } from '../projections/projection-reader';

const REFRESH_MS = 500;

export interface ConnectorStanding {
  connectorId: string;
  suspended: boolean;
}

/**
 * The connectors' API keys (held as SHA-256 only) and whether each connector is suspended, in
 * memory so the guard answers without a read. Changes made in this process count at once;
 * those made by another process within a refresh (half a second).
 */
@Injectable()
export class ConnectorKeys implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(ConnectorKeys.name);
  private byHash = new Map<string, ConnectorStanding>();
  private changes = 0;
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;

  constructor(
    @Inject(READ_STORE) private readonly reads: ReadStore,
    private readonly projections: ProjectionReader,
    private readonly writes: WriteTracker,
  ) {}

  async onModuleInit(): Promise<void> {
    this.timer = setInterval(() => void this.refresh(), REFRESH_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.refreshing;
  }

  /** The connector this API key belongs to, if any. */
  byApiKey(apiKey: string): ConnectorStanding | undefined {
    return this.byHash.get(sha256Hex(apiKey));
  }

  /** A registration, suspension or reinstatement this process has just appended. */
  note(apiKeySha256: string, standing: ConnectorStanding): void {
    this.changes++;
    this.byHash = new Map(this.byHash).set(apiKeySha256, standing);
  }

  refresh(): Promise<void> {
    this.refreshing ??= this.load()
      .catch((error: unknown) =>
        this.logger.warn(`could not refresh connector keys: ${(error as Error).message}`),
      )
      .finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async load(): Promise<void> {
    const changes = this.changes;
    const own = this.writes.lastPosition('connector');
    if (own) await this.projections.catchUp('connectors', { position: own });
    const collection = await this.projections.collection('connectors');
    const next = new Map<string, ConnectorStanding>();
    for await (const doc of findAll(this.reads, collection)) {
      const connector = doc as ConnectorDocument;
      next.set(connector.apiKeySha256, {
        connectorId: connector.connectorId,
        suspended: connector.status === 'suspended',
      });
    }
    if (changes === this.changes) this.byHash = next;
  }
}
