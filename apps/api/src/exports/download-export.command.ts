import { KEY_STORE, type KeyStore } from '@custodian/crypto';
import {
  DomainError,
  exportDecider,
  exportStream,
  notFound,
  type ExportState,
} from '@custodian/domain';
import { EVENT_STORE, type EventStore } from '@custodian/event-store';
import { AccessRecorder, CommandExecutor, type CommandMeta } from '@custodian/platform';
import { type Mask, type Role } from '@custodian/policy';
import { Inject } from '@nestjs/common';
import { Command, CommandHandler, QueryBus, type ICommandHandler } from '@nestjs/cqrs';
import { RolePolicyQuery } from '../access/role-policy.query';
import type { Readable } from 'node:stream';
import { ErasedRowError, ExportFiles, type ExportFormat } from './export-files';
import { loadExport } from './export-view';

export interface ExportDownload {
  sha256: string;
  bytes: number;
  contentType: string;
  filename: string;
  stream: Readable;
}

/** How much of a value each mask shows, least first. */
const MASK_RANK: Record<Mask, number> = { hidden: 0, partial: 1, full: 2 };

/**
 * The file, for its requester only, until it expires; refused (410) once any customer in it
 * has been erased. The requester must download it in a role that may, under the policy in
 * force now, read customers and see every field at least as fully as the export shows it.
 * Each download is recorded.
 */
export class DownloadExportCommand extends Command<ExportDownload> {
  constructor(
    readonly exportId: string,
    readonly format: ExportFormat,
    readonly meta: CommandMeta,
  ) {
    super();
  }
}

@CommandHandler(DownloadExportCommand)
export class DownloadExportHandler implements ICommandHandler<DownloadExportCommand> {
  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Inject(KEY_STORE) private readonly keys: KeyStore,
    private readonly commands: CommandExecutor,
    private readonly recorder: AccessRecorder,
    private readonly files: ExportFiles,
    private readonly queries: QueryBus,
  ) {}

  async execute({ exportId, format, meta }: DownloadExportCommand): Promise<ExportDownload> {
    const { state } = await loadExport(this.events, exportId);
    if (!state || state.request.actorId !== meta.actor.id)
      throw notFound('exportId', `export ${exportId} does not exist`);
    await this.checkRole(state, meta);
    if (state.status === 'completed' && state.completion) {
      if (state.completion.expiresAt <= meta.now.toISOString()) {
        this.files.remove(exportId);
        throw new DomainError(
          'gone',
          'exportId',
          `export ${exportId} expired at ${state.completion.expiresAt}`,
        );
      }
      if (state.request.mode === 'real') {
        const ids = await this.files.subjects(exportId, state.completion.run);
        if ((await this.keys.destroyedAmong(ids)).size > 0) {
          this.files.remove(exportId);
          throw new DomainError(
            'gone',
            'exportId',
            'a customer in this export has since been erased; request a new export',
          );
        }
      }
    }
    // The download is recorded first; its receipt is what the rows are opened against.
    let completion: ExportState['completion'] = null;
    const receipt = await this.recorder.recordDownload(exportId, async () => {
      const outcome = await this.commands.execute(
        exportStream(exportId),
        exportDecider,
        { type: 'RecordDownload', exportId, actorId: meta.actor.id, format },
        () => ({ now: meta.now }),
        meta,
      );
      completion = outcome.state!.completion;
    });
    const { run } = completion!;
    let digest: { bytes: number; sha256: string };
    try {
      // Read through once for the digest header (the stored digest is of the sealed rows).
      digest = await this.files.digest(exportId, run, format, receipt);
    } catch (error) {
      if (!(error instanceof ErasedRowError)) throw error;
      this.files.remove(exportId);
      throw new DomainError('gone', 'exportId', error.message);
    }
    return {
      ...digest,
      contentType: format === 'ndjson' ? 'application/x-ndjson' : 'text/csv; charset=utf-8',
      filename: `export-${exportId}.${format}`,
      stream: this.files.open(exportId, run, format, receipt),
    };
  }

  /** Refuses (403) a role that may not now see what the export shows. */
  private async checkRole(state: ExportState, meta: CommandMeta): Promise<void> {
    const role = meta.actor.role;
    const policy = await this.queries.execute(new RolePolicyQuery());
    const rules = policy.roles[role as Role];
    if (!rules?.mayReadCustomers)
      throw new DomainError(
        'forbidden',
        'X-Custodian-Role',
        `role "${role}" may not read customers, so it may not download an export`,
      );
    for (const field of state.request.fields) {
      const mask = rules.fields[field.name] ?? rules.otherFields;
      if (MASK_RANK[mask] < MASK_RANK[field.mask])
        throw new DomainError(
          'forbidden',
          'X-Custodian-Role',
          `role "${role}" may see field "${field.name}" only ${mask}, and this export shows it ${field.mask}; download it in a role that may see it`,
        );
    }
  }
}
