import {
  exportDecider,
  exportStream,
  type ExportCommand,
  type ExportState,
  type SubjectExported,
} from '@custodian/domain';
import { EVENT_STORE, type EventStore } from '@custodian/event-store';
import {
  AccessRecorder,
  CLOCK,
  CommandExecutor,
  CUSTODIAN_CONFIG,
  Lifecycle,
  ProjectionReader,
  SingletonLease,
  type AccessReceipt,
  type Clock,
  type CommandMeta,
  type CustodianConfig,
} from '@custodian/platform';
import {
  csvHeader,
  csvLine,
  ndjsonLine,
  sandboxValue,
  seededRandom,
  type Role,
} from '@custodian/policy';
import { READ_STORE, type ReadStore } from '@custodian/read-store';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { RolePolicyQuery } from '../access/role-policy.query';
import { CurrentPurposeQuery } from '../purposes/current-purpose.query';
import { ExportFiles, selectionSha256 } from './export-files';
import { ExportSelection, type ExportPlan, type SelectedCustomer } from './export-selection';
import { exportsWhere, loadExport } from './export-view';

// Audit records of the customers in an export are appended this many at a time.
const AUDIT_CHUNK = 500;
// How long one wait for the exports projection lasts before it is logged and tried again.
const CATCH_UP_WAIT_MS = 5000;
// The events that let generation start: a request that needed no approval, or the approval.
const GENERATION_CAUSES = new Set(['ExportRequested', 'ExportApproved']);

/** Generation left off because the process is stopping; the next start resumes it. */
class GenerationStopped extends Error {}

/**
 * Generates an export's files in the background once it may (requested under the threshold,
 * or approved), telling each included customer's access log, then records the completion.
 * It takes only the customers pinned at request time (the set the approver saw) who are still
 * lawful and matching now, never anyone who came to match since; a pinned selection that is
 * missing or does not match the request's digest fails the export, saying so.
 * Exports left generating by a stopped process are resumed by the process that takes the
 * singleton lease (at start-up, or when the holder died; their audit records have
 * deterministic ids, so none is written twice); a stopping app leaves the rest for the next.
 */
@Injectable()
export class ExportGeneration implements OnApplicationShutdown {
  private readonly logger = new Logger(ExportGeneration.name);
  private readonly running = new Map<string, Promise<void>>();

  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Inject(READ_STORE) private readonly reads: ReadStore,
    @Inject(CUSTODIAN_CONFIG) private readonly config: CustodianConfig,
    private readonly projections: ProjectionReader,
    private readonly commands: CommandExecutor,
    private readonly recorder: AccessRecorder,
    private readonly queries: QueryBus,
    private readonly selection: ExportSelection,
    private readonly files: ExportFiles,
    private readonly lifecycle: Lifecycle,
    @Inject(CLOCK) private readonly clock: Clock,
    lease: SingletonLease,
  ) {
    // In the one process holding the singleton lease, when it takes it (at start-up, or when
    // the holder before it died); it does not hold up start-up.
    lease.register({
      name: 'exports: resume unfinished exports',
      atAcquire: true,
      run: (signal) => this.resumeUnfinished(signal),
    });
  }

  async onApplicationShutdown(): Promise<void> {
    // Generation stops at the next row once the app is stopping; the next start resumes it.
    await this.lifecycle.step(`exports: generation of ${this.running.size} export(s)`, () =>
      Promise.allSettled(this.running.values()),
    );
  }

  /** Starts generating the export in the background, unless this process already is. */
  start(exportId: string): void {
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
    const generating = await exportsWhere(this.reads, this.projections, 'generating');
    if (generating.length > 0)
      this.logger.log(`resuming ${generating.length} export(s) left generating`);
    for (const { exportId } of generating) this.start(exportId);
  }

  private async generate(exportId: string): Promise<void> {
    const { state, history } = await loadExport(this.events, exportId);
    if (!state || state.status !== 'generating') return;
    const { request } = state;
    // Generation answers the event that let it start, and belongs to that event's request.
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
    const run = randomUUID().slice(0, 8);
    const columns = ['subjectId', ...request.fields.map((f) => f.name)];
    const { ndjson, csv } = this.files.create(exportId, run);
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
      const pinned = await this.pinnedSelection(exportId, request);
      const random = seededRandom(`${exportId}:${randomUUID()}`);
      const included: string[] = [];
      let count = 0;
      await csv.plain(csvHeader(columns));
      // Customers go in chunks: the chunk's access records are appended together, then each
      // customer's values are decrypted against their own record's receipt and written.
      let chunk: SelectedCustomer[] = [];
      const flush = async () => {
        const receipts = await Promise.all(
          chunk.map((customer) => this.audit(customer, exportId, request, meta)),
        );
        for (const [i, customer] of chunk.entries()) {
          if (this.lifecycle.stopping.aborted) throw new GenerationStopped();
          const shown = await this.selection.row(plan, customer, receipts[i]);
          if (shown === null) continue; // erased since it was selected
          if (request.mode === 'sandbox') {
            const row: Record<string, string | null> = { subjectId: uuidFrom(random) };
            for (const f of request.fields)
              row[f.name] =
                shown.values[f.name] === undefined
                  ? null
                  : sandboxValue(f.name, shown.values[f.name], random);
            await ndjson.plain(ndjsonLine(row));
            await csv.plain(csvLine(columns, row));
          } else {
            const row = { subjectId: customer.subjectId, ...shown.row };
            const written =
              (await ndjson.row(customer.subjectId, ndjsonLine(row))) &&
              (await csv.row(customer.subjectId, csvLine(columns, row)));
            // Erased between the decryption and the sealing: the export cannot be whole.
            if (!written) throw new Error(`customer ${customer.subjectId} was erased meanwhile`);
            included.push(customer.subjectId);
          }
          count++;
        }
        chunk = [];
      };
      for await (const customer of this.selection.customers(plan, meta.now)) {
        if (this.lifecycle.stopping.aborted) throw new GenerationStopped();
        if (pinned && !pinned.has(customer.subjectId)) continue; // not in what was approved
        chunk.push(customer);
        if (chunk.length >= AUDIT_CHUNK) await flush();
      }
      await flush();
      const [n, c] = [await ndjson.close(), await csv.close()];
      if (request.mode === 'real') await this.files.writeSubjects(exportId, run, included);
      await this.decide(
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
      this.files.removePinned(exportId);
    } catch (error) {
      await Promise.allSettled([ndjson.abort(), csv.abort()]);
      this.files.remove(exportId, run);
      if (error instanceof GenerationStopped) throw error;
      await this.decide(
        exportId,
        { type: 'FailExport', exportId, reason: (error as Error).message },
        { ...meta, now: this.clock.now() },
      ).catch(() => undefined);
      this.files.removePinned(exportId);
      throw error;
    }
  }

  /**
   * The customers counted when the export was requested; null for an export requested before
   * selections were pinned (it takes whoever matches at generation, as it did then).
   */
  private async pinnedSelection(
    exportId: string,
    request: ExportState['request'],
  ): Promise<ReadonlySet<string> | null> {
    if (request.selectionSha256 === undefined) return null;
    const ids = await this.files.readPinned(exportId);
    if (!ids)
      throw new Error(
        `the selection pinned when export ${exportId} was requested is missing; request the export again`,
      );
    if (ids.length !== request.count || selectionSha256(ids) !== request.selectionSha256)
      throw new Error(
        `the selection pinned when export ${exportId} was requested does not match the request's digest; request the export again`,
      );
    return new Set(ids);
  }

  /**
   * The customer's access log shows the export like a read (who, for what, which fields and
   * masks; sandbox rows too, as their stand-ins are drawn from the values): appended before
   * the customer's values are decrypted, it yields the receipt they are decrypted against.
   */
  private async audit(
    customer: SelectedCustomer,
    exportId: string,
    request: ExportState['request'],
    meta: CommandMeta,
  ): Promise<AccessReceipt> {
    const { subjectId } = customer;
    const event: SubjectExported = {
      type: 'SubjectExported',
      data: {
        subjectId,
        exportId,
        actorId: request.actorId,
        role: request.role,
        purposeId: request.purposeId,
        fields: Object.entries(customer.masks).map(([name, mask]) => ({ name, mask })),
        destination: request.destination,
        at: meta.now.toISOString(),
        ...(request.mode === 'sandbox' ? { mode: 'sandbox' as const } : {}),
      },
    };
    // The id is the export's and the customer's: a resumed generation writes nothing twice.
    return this.recorder.record(event, meta, { key: `export|${exportId}|${subjectId}` });
  }

  private async decide(exportId: string, command: ExportCommand, meta: CommandMeta) {
    await this.commands.execute(
      exportStream(exportId),
      exportDecider,
      command,
      () => ({ now: meta.now }),
      meta,
    );
  }
}

function uuidFrom(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${'89ab'[Math.floor(random() * 4)]}${hex.slice(17, 20)}-${hex.slice(20)}`;
}
