import { openSealedFile, openSealedFileWriter, type KeyStore, KEY_STORE } from '@custodian/crypto';
import {
  accessStream,
  catalogueFields,
  DomainError,
  exportDecider,
  exportStream,
  fold,
  invalid,
  notFound,
  type ExportCommand,
  type ExportEvent,
  type ExportState,
  type SubjectExported,
} from '@custodian/domain';
import { EVENT_STORE, type EventStore } from '@custodian/event-store';
import {
  CLOCK,
  CommandExecutor,
  CUSTODIAN_CONFIG,
  Lifecycle,
  MASTER_KEY,
  ProjectionReader,
  type Clock,
  type CommandMeta,
  type CustodianConfig,
} from '@custodian/platform';
import {
  csvHeader,
  csvLine,
  exportApprovalThreshold,
  mayDeclarePurpose,
  ndjsonLine,
  sandboxValue,
  seededRandom,
  type Mask,
  type Role,
} from '@custodian/policy';
import type { ExportDocument } from '@custodian/projections';
import { findAllDocs, READ_STORE, type ReadStore } from '@custodian/read-store';
import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { QueryBus } from '@nestjs/cqrs';
import { RolePolicyQuery } from '../access/role-policy.query';
import { CurrentPurposeQuery } from '../purposes/current-purpose.query';
import { FieldCatalogueQuery } from '../subjects/field-catalogue.query';
import type { RequestExportDto } from './exports.dto';
import { ExportSelection, parseFilter, type ExportPlan } from './export-selection';

export type ExportFormat = 'ndjson' | 'csv';
// Audit records of the customers in an export are appended this many at a time.
const AUDIT_CHUNK = 500;
const SWEEP_MS = 10 * 60_000;
// How long one wait for the exports projection lasts before it is logged and tried again.
const CATCH_UP_WAIT_MS = 5000;

const GENERATION_CAUSES = new Set(['ExportRequested', 'ExportApproved']);

/** Generation left off because the process is stopping; the next start resumes it. */
class GenerationStopped extends Error {}

/**
 * Exports: a justified request for a purpose, fields and filter; a DPO's approval above the
 * role's threshold; then the file, generated in the background, sealed at rest, downloadable
 * by its requester until it expires, with every included customer's access log told.
 */
@Injectable()
export class ExportsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ExportsService.name);
  private readonly dir: string;
  private readonly running = new Map<string, Promise<void>>();
  private sweeper: NodeJS.Timeout | undefined;
  private resuming: Promise<void> | undefined;

  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Inject(KEY_STORE) private readonly keys: KeyStore,
    @Inject(MASTER_KEY) private readonly master: Buffer,
    @Inject(CUSTODIAN_CONFIG) private readonly config: CustodianConfig,
    @Inject(READ_STORE) private readonly reads: ReadStore,
    private readonly projections: ProjectionReader,
    private readonly commands: CommandExecutor,
    private readonly selection: ExportSelection,
    private readonly queries: QueryBus,
    private readonly lifecycle: Lifecycle,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.dir = join(config.dataDir, 'exports');
  }

  /**
   * Exports left generating by a stopped process are finished (their audit records have
   * deterministic ids, so none is written twice) and files of expired exports are deleted.
   * Neither holds up start-up.
   */
  async onApplicationBootstrap(): Promise<void> {
    this.resuming = this.resumeUnfinished(this.lifecycle.stopping).catch((error: unknown) =>
      this.logger.error(`could not resume unfinished exports: ${(error as Error).message}`),
    );
    void this.purgeExpired();
    this.sweeper = setInterval(() => void this.purgeExpired(), SWEEP_MS);
    this.sweeper.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    await this.lifecycle.step('exports: resuming unfinished exports', async () => this.resuming);
    // Generation stops at the next row once the app is stopping; the next start resumes it.
    await this.lifecycle.step(`exports: generation of ${this.running.size} export(s)`, () =>
      Promise.allSettled(this.running.values()),
    );
  }

  /**
   * Which exports are unfinished is decided from the log as it stands at start-up, not from
   * a read model that may be behind it: the exports projection (here or in the projector
   * process) is first waited for up to the log's head, however long that takes.
   */
  private async resumeUnfinished(stopping: AbortSignal): Promise<void> {
    const head = await this.events.readLastEvent();
    if (!head) return;
    for (let waited = 0; !stopping.aborted; waited += CATCH_UP_WAIT_MS) {
      try {
        await this.projections.catchUp('exports', {
          position: head.position,
          timeoutMs: CATCH_UP_WAIT_MS,
        });
        break;
      } catch (error) {
        this.logger.warn(
          `unfinished exports are resumed once the exports projection reaches the log's head ` +
            `(waited ${(waited + CATCH_UP_WAIT_MS) / 1000} s): ${(error as Error).message}`,
        );
      }
    }
    if (stopping.aborted) return;
    const generating = await this.exportsWhere('generating');
    if (generating.length > 0)
      this.logger.log(`resuming ${generating.length} export(s) left generating`);
    for (const { exportId } of generating) this.generateInBackground(exportId);
  }

  /** What an export would take: checked like a request, counted, nothing written. */
  async preview(dto: RequestExportDto, meta: CommandMeta) {
    return (await this.counted(dto, meta)).preview;
  }

  private async counted(dto: RequestExportDto, meta: CommandMeta) {
    const { plan, threshold, policyVersion } = await this.plan(dto, meta);
    const count = await this.selection.count(plan, meta.now);
    const mode = dto.mode ?? 'real';
    const preview = {
      purposeId: dto.purposeId,
      mode,
      count,
      fields: plan.fields,
      approvalRequired: mode === 'real' && count > threshold,
      approvalThreshold: threshold,
      policyVersion,
    };
    return { plan, preview };
  }

  async request(dto: RequestExportDto, meta: CommandMeta) {
    const { plan, preview } = await this.counted(dto, meta);
    const exportId = randomUUID();
    const outcome = await this.commands.execute(
      exportStream(exportId),
      exportDecider,
      {
        type: 'RequestExport',
        request: {
          exportId,
          actorId: meta.actor.id,
          role: meta.actor.role,
          purposeId: dto.purposeId,
          legalBasis: plan.purpose.legalBasis,
          justification: dto.justification,
          mode: preview.mode,
          fields: plan.fields,
          filter: plan.filter,
          destination: dto.destination ?? 'download',
          count: preview.count,
          approvalRequired: preview.approvalRequired,
          approvalThreshold: preview.approvalThreshold,
          policyVersion: preview.policyVersion,
          at: meta.now.toISOString(),
        },
      },
      () => ({ now: meta.now }),
      meta,
    );
    if (outcome.state!.status === 'generating') this.generateInBackground(exportId);
    return this.describe(outcome.state!);
  }

  async approve(exportId: string, note: string, meta: CommandMeta) {
    const state = await this.run(
      exportId,
      { type: 'ApproveExport', exportId, approverId: meta.actor.id, note },
      meta,
    );
    this.generateInBackground(exportId);
    return this.describe(state);
  }

  async reject(exportId: string, reason: string, meta: CommandMeta) {
    return this.describe(
      await this.run(exportId, { type: 'RejectExport', exportId, by: meta.actor.id, reason }, meta),
    );
  }

  /** The export as its requester, a DPO or an admin sees it; others are told it does not exist. */
  async get(exportId: string, actor: { id: string; role: string }) {
    const state = await this.state(exportId);
    if (
      !state ||
      (state.request.actorId !== actor.id && actor.role !== 'dpo' && actor.role !== 'admin')
    )
      throw notFound('exportId', `export ${exportId} does not exist`);
    return this.describe(state);
  }

  /** Finishes exports another run left generating (a restart mid-way): ids are deterministic, nothing is written twice. */
  async resume(exportIds: readonly string[]): Promise<void> {
    for (const id of exportIds) this.generateInBackground(id);
  }

  /** Resolves when the export's generation in this process has ended. */
  async settled(exportId: string): Promise<void> {
    await this.running.get(exportId);
  }

  /**
   * The file, for its requester only, until it expires; refused (410) once any customer in it
   * has been erased. Each download is recorded.
   */
  async download(exportId: string, format: ExportFormat, meta: CommandMeta) {
    const state = await this.state(exportId);
    if (!state || state.request.actorId !== meta.actor.id)
      throw notFound('exportId', `export ${exportId} does not exist`);
    if (state.status === 'completed' && state.completion) {
      if (state.completion.expiresAt <= meta.now.toISOString()) {
        this.removeFiles(exportId);
        throw new DomainError(
          'gone',
          'exportId',
          `export ${exportId} expired at ${state.completion.expiresAt}`,
        );
      }
      if (state.request.mode === 'real') {
        const ids = JSON.parse(
          await readFile(this.file(exportId, state.completion.run, 'subjects'), 'utf8'),
        ) as string[];
        if ((await this.keys.destroyedAmong(ids)).size > 0) {
          this.removeFiles(exportId);
          throw new DomainError(
            'gone',
            'exportId',
            'a customer in this export has since been erased; request a new export',
          );
        }
      }
    }
    const after = await this.run(
      exportId,
      { type: 'RecordDownload', exportId, actorId: meta.actor.id, format },
      meta,
    );
    const file = after.completion!.files[format];
    return {
      sha256: file.sha256,
      bytes: file.bytes,
      contentType: format === 'ndjson' ? 'application/x-ndjson' : 'text/csv; charset=utf-8',
      filename: `export-${exportId}.${format}`,
      stream: Readable.from(
        openSealedFile(
          this.file(exportId, after.completion!.run, format),
          this.master,
          `${exportId}/${format}`,
        ),
      ),
    };
  }

  private generateInBackground(exportId: string): void {
    if (this.running.has(exportId)) return;
    const job = this.generate(exportId)
      .catch((error: unknown) => {
        if (error instanceof GenerationStopped)
          this.logger.log(`export ${exportId} left for the next start: the app is stopping`);
        else this.logger.error(`export ${exportId} failed: ${(error as Error).message}`);
      })
      .finally(() => this.running.delete(exportId));
    this.running.set(exportId, job);
  }

  private async generate(exportId: string): Promise<void> {
    const history = await this.events.readStream(exportStream(exportId));
    const state = fold(exportDecider, history as unknown as ExportEvent[]);
    if (!state || state.status !== 'generating') return;
    const { request } = state;
    // Generation answers the event that let it start: the approval, or a request that needed none.
    const cause = history.filter((e) => GENERATION_CAUSES.has(e.type)).at(-1)!;
    const meta: CommandMeta = {
      actor: { id: request.actorId, role: request.role },
      requestId:
        typeof cause.metadata.correlationId === 'string'
          ? cause.metadata.correlationId
          : `export-${exportId}`,
      causationId: cause.id,
      now: this.clock.now(),
    };
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const run = randomUUID().slice(0, 8);
    const columns = ['subjectId', ...request.fields.map((f) => f.name)];
    const ndjson = openSealedFileWriter(
      this.file(exportId, run, 'ndjson'),
      this.master,
      `${exportId}/ndjson`,
    );
    const csv = openSealedFileWriter(
      this.file(exportId, run, 'csv'),
      this.master,
      `${exportId}/csv`,
    );
    let pending: Promise<unknown>[] = [];
    try {
      const purpose = await this.queries.execute(new CurrentPurposeQuery(request.purposeId));
      if (!purpose || purpose.status !== 'active')
        throw new Error(`purpose ${request.purposeId} is no longer active`);
      const policy = await this.queries.execute(new RolePolicyQuery());
      const plan: ExportPlan = {
        purpose,
        rules: policy.roles[request.role as Role],
        fields: request.fields,
        filter: request.filter,
      };
      const random = seededRandom(`${exportId}:${randomUUID()}`);
      const included: string[] = [];
      let count = 0;
      await csv.write(csvHeader(columns));
      for await (const customer of this.selection.customers(plan, meta.now)) {
        if (this.lifecycle.stopping.aborted) throw new GenerationStopped();
        let row: Record<string, string | null>;
        count++;
        if (request.mode === 'sandbox') {
          row = { subjectId: uuidFrom(random) };
          for (const f of request.fields)
            row[f.name] =
              customer.values[f.name] === undefined
                ? null
                : sandboxValue(f.name, customer.values[f.name], random);
        } else {
          row = { subjectId: customer.subjectId, ...customer.row };
          included.push(customer.subjectId);
          pending.push(this.audit(customer.subjectId, customer.masks, exportId, request, meta));
          if (pending.length >= AUDIT_CHUNK) {
            await Promise.all(pending);
            pending = [];
          }
        }
        await ndjson.write(ndjsonLine(row));
        await csv.write(csvLine(columns, row));
      }
      await Promise.all(pending);
      const [n, c] = [await ndjson.close(), await csv.close()];
      if (request.mode === 'real')
        await writeFile(this.file(exportId, run, 'subjects'), JSON.stringify(included), {
          mode: 0o600,
        });
      await this.run(
        exportId,
        {
          type: 'CompleteExport',
          completion: {
            exportId,
            actorId: request.actorId,
            role: request.role,
            purposeId: request.purposeId,
            mode: request.mode,
            count,
            fields: request.fields,
            destination: request.destination,
            files: { ndjson: n, csv: c },
            run,
            expiresAt: new Date(
              this.clock.now().getTime() + this.config.exportTtlHours * 3_600_000,
            ).toISOString(),
            at: this.clock.now().toISOString(),
          },
        },
        { ...meta, now: this.clock.now() },
      );
    } catch (error) {
      // Audit appends still in flight settle before the files go (and before the stores close).
      await Promise.allSettled(pending);
      await Promise.allSettled([ndjson.abort(), csv.abort()]);
      this.removeFiles(exportId, run);
      if (error instanceof GenerationStopped) throw error;
      await this.run(
        exportId,
        { type: 'FailExport', exportId, reason: (error as Error).message },
        { ...meta, now: this.clock.now() },
      ).catch(() => undefined);
      throw error;
    }
  }

  /** The customer's access log shows the export like a read: who, for what, which fields and masks. */
  private async audit(
    subjectId: string,
    masks: Record<string, Mask>,
    exportId: string,
    request: ExportState['request'],
    meta: CommandMeta,
  ): Promise<void> {
    const event: SubjectExported = {
      type: 'SubjectExported',
      data: {
        subjectId,
        exportId,
        actorId: request.actorId,
        role: request.role,
        purposeId: request.purposeId,
        fields: Object.entries(masks).map(([name, mask]) => ({ name, mask })),
        destination: request.destination,
        at: meta.now.toISOString(),
      },
    };
    // The id is the export's and the customer's: a resumed generation writes nothing twice.
    await this.commands.record(accessStream(subjectId), [event], meta, {
      key: `export|${exportId}|${subjectId}`,
    });
  }

  private async plan(dto: RequestExportDto, meta: CommandMeta) {
    const purpose = await this.queries.execute(new CurrentPurposeQuery(dto.purposeId));
    if (!purpose) throw notFound('purposeId', `purpose "${dto.purposeId}" is not registered`);
    if (purpose.status !== 'active')
      throw invalid('purposeId', `purpose "${dto.purposeId}" is not active`);
    const policy = await this.queries.execute(new RolePolicyQuery());
    const role = meta.actor.role as Role;
    const rules = policy.roles[role];
    if (!rules.mayReadCustomers || !mayDeclarePurpose(role, purpose))
      throw new DomainError(
        'forbidden',
        'purposeId',
        `role "${meta.actor.role}" may not declare purpose "${dto.purposeId}"`,
      );
    const known = new Set(
      Object.keys(catalogueFields(await this.queries.execute(new FieldCatalogueQuery()))),
    );
    const maskOf = (field: string): Mask => rules.fields[field] ?? rules.otherFields;
    const fields = dto.fields.map((name, i) => {
      if (!known.has(name)) throw invalid(`fields.${i}`, 'is not a known field');
      if (!purpose.assessment.minimumFields.includes(name))
        throw invalid(`fields.${i}`, `is not among the fields purpose "${dto.purposeId}" uses`);
      const mask = maskOf(name);
      if (mask === 'hidden')
        throw new DomainError(
          'forbidden',
          `fields.${i}`,
          `is a field role "${meta.actor.role}" may not see`,
        );
      return { name, mask };
    });
    const filter = parseFilter(dto.filter, known, maskOf);
    const plan: ExportPlan = { purpose, rules, fields, filter };
    return { plan, threshold: exportApprovalThreshold(rules), policyVersion: policy.version };
  }

  private async state(exportId: string): Promise<ExportState | null> {
    return fold(
      exportDecider,
      (await this.events.readStream(exportStream(exportId))) as unknown as ExportEvent[],
    );
  }

  private async run(
    exportId: string,
    command: ExportCommand,
    meta: CommandMeta,
  ): Promise<ExportState> {
    const outcome = await this.commands.execute(
      exportStream(exportId),
      exportDecider,
      command,
      () => ({ now: meta.now }),
      meta,
    );
    return outcome.state!;
  }

  private describe(state: ExportState) {
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

  private async exportsWhere(status: string): Promise<ExportDocument[]> {
    const collection = await this.projections.collection('exports');
    return (await findAllDocs(this.reads, collection, { where: { status } })) as ExportDocument[];
  }

  /** Files of exports past their download window are deleted (their events stay). */
  private async purgeExpired(): Promise<void> {
    try {
      const now = this.clock.now().toISOString();
      for (const doc of await this.exportsWhere('completed'))
        if (doc.expiresAt !== null && doc.expiresAt <= now) this.removeFiles(doc.exportId);
    } catch (error) {
      this.logger.warn(`could not purge expired exports: ${(error as Error).message}`);
    }
  }

  private file(exportId: string, run: string, kind: ExportFormat | 'subjects'): string {
    return join(
      this.dir,
      kind === 'subjects'
        ? `${exportId}.${run}.subjects.json`
        : `${exportId}.${run}.${kind}.sealed`,
    );
  }

  /** The export's files (of one generation run, or of every run). */
  private removeFiles(exportId: string, run?: string): void {
    const prefix = run === undefined ? `${exportId}.` : `${exportId}.${run}.`;
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return;
    }
    for (const name of names)
      if (name.startsWith(prefix)) rmSync(join(this.dir, name), { force: true });
  }
}

function uuidFrom(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${'89ab'[Math.floor(random() * 4)]}${hex.slice(17, 20)}-${hex.slice(20)}`;
}
