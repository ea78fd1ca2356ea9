import {
  openSealedFile,
  openSealedFileWriter,
  type SealedFileSummary,
  type SealedFileWriter,
} from '@custodian/crypto';
import {
  CLOCK,
  CUSTODIAN_CONFIG,
  FieldVault,
  MASTER_KEY,
  ProjectionReader,
  SingletonLease,
  type AccessReceipt,
  type Clock,
  type CustodianConfig,
} from '@custodian/platform';
import { READ_STORE, type ReadStore } from '@custodian/read-store';
import { Inject, Injectable, Logger, ServiceUnavailableException } from '@nestjs/common';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { exportsWhere } from './export-view';

export type ExportFormat = 'ndjson' | 'csv';
const SWEEP_MS = 10 * 60_000;
// Rows opened per key-store round: a download keeps at most this many in memory.
const OPEN_BATCH = 256;

/**
 * One export file being written. A customer's row is sealed under the customer's own data key
 * (so erasing them makes it unreadable in every file already written), and the file as a whole
 * under a key derived from the master key. Stored records, one a line:
 * `r <subjectId> <row sealed under the customer's key>` or `p <JSON string>` for lines that hold
 * no one's values (the CSV header, sandbox rows).
 */
export class ExportFileWriter {
  constructor(
    private readonly file: SealedFileWriter,
    private readonly vault: FieldVault,
    private readonly label: string,
  ) {}

  /** A line that holds no customer's values. */
  async plain(line: string): Promise<void> {
    await this.file.write(`p\t${JSON.stringify(line)}\n`);
  }

  /** A customer's row; false when they were erased meanwhile (nothing written). */
  async row(subjectId: string, line: string): Promise<boolean> {
    const sealed = await this.vault.sealRow(subjectId, line, this.label);
    if (sealed === null) return false;
    await this.file.write(`r\t${subjectId}\t${sealed}\n`);
    return true;
  }

  /** Size and SHA-256 of what was stored: rows as ciphertext, so they confirm no value. */
  close(): Promise<SealedFileSummary> {
    return this.file.close();
  }

  abort(): Promise<void> {
    return this.file.abort();
  }
}

/** SHA-256 (hex) of a pinned selection: the sorted subject ids, one a line. */
export function selectionSha256(sortedIds: readonly string[]): string {
  return createHash('sha256').update(sortedIds.join('\n'), 'utf8').digest('hex');
}

/** A row of a real export whose customer was erased after it was written. */
export class ErasedRowError extends Error {
  override readonly name = 'ErasedRowError';
  constructor() {
    super('a customer in this export has been erased; their row can no longer be read');
  }
}

/**
 * An export's files under `<data dir>/exports/`, named by export and generation run: the
 * NDJSON and CSV (rows sealed under each customer's data key, the file under a key derived
 * from the master key), and (real exports) the ids of the customers included. Files of
 * expired exports are swept away (their events stay). Under `exports/pinned/`, each export's
 * selection as counted at request time (the ids the approver saw), until it is generated.
 */
@Injectable()
export class ExportFiles {
  private readonly logger = new Logger(ExportFiles.name);
  private readonly dir: string;

  constructor(
    @Inject(MASTER_KEY) private readonly master: Buffer,
    @Inject(CUSTODIAN_CONFIG) config: CustodianConfig,
    @Inject(READ_STORE) private readonly reads: ReadStore,
    private readonly projections: ProjectionReader,
    private readonly vault: FieldVault,
    @Inject(CLOCK) private readonly clock: Clock,
    lease: SingletonLease,
  ) {
    this.dir = join(config.dataDir, 'exports');
    // In the one process holding the singleton lease: when it takes it, then every ten minutes.
    lease.register({
      name: 'exports: delete expired files',
      atAcquire: true,
      everyMs: SWEEP_MS,
      run: () => this.purgeExpired(),
    });
  }

  /** The writers of one generation run. */
  create(exportId: string, run: string): Record<ExportFormat, ExportFileWriter> {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const writer = (format: ExportFormat) => {
      const label = `${exportId}/${format}`;
      return new ExportFileWriter(
        openSealedFileWriter(this.file(exportId, run, format), this.master, label),
        this.vault,
        label,
      );
    };
    return { ndjson: writer('ndjson'), csv: writer('csv') };
  }

  /**
   * The file as the requester gets it, decrypted as it is read, against the receipt of the
   * download's record. A row whose customer has been erased fails the stream (ErasedRowError).
   */
  open(exportId: string, run: string, format: ExportFormat, receipt: AccessReceipt): Readable {
    return Readable.from(this.lines(exportId, run, format, receipt));
  }

  /** Size and SHA-256 of the file as `open` yields it (read through once; nothing is stored). */
  async digest(
    exportId: string,
    run: string,
    format: ExportFormat,
    receipt: AccessReceipt,
  ): Promise<{ bytes: number; sha256: string }> {
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const chunk of this.lines(exportId, run, format, receipt)) {
      hash.update(chunk);
      bytes += chunk.length;
    }
    return { bytes, sha256: hash.digest('hex') };
  }

  private async *lines(
    exportId: string,
    run: string,
    format: ExportFormat,
    receipt: AccessReceipt,
  ): AsyncGenerator<Buffer> {
    const label = `${exportId}/${format}`;
    let rest = '';
    let batch: Array<{ subjectId: string; sealed: string } | string> = [];
    const flush = async (): Promise<Buffer> => {
      const sealed = batch.filter(
        (r): r is { subjectId: string; sealed: string } => typeof r !== 'string',
      );
      const opened = await this.vault.openRows(receipt, exportId, sealed, label);
      let i = 0;
      const out = batch.map((r) => {
        if (typeof r === 'string') return r;
        const line = opened[i++];
        if (line === null) throw new ErasedRowError();
        return line;
      });
      batch = [];
      return Buffer.from(out.join(''), 'utf8');
    };
    const decoder = new TextDecoder('utf-8');
    for await (const chunk of openSealedFile(
      this.file(exportId, run, format),
      this.master,
      label,
    )) {
      const lines = (rest + decoder.decode(chunk, { stream: true })).split('\n');
      rest = lines.pop()!;
      for (const record of lines) {
        batch.push(parseRecord(record));
        if (batch.length >= OPEN_BATCH) yield await flush();
      }
    }
    if (rest + decoder.decode() !== '') throw new Error(`export file ${label} ends mid-record`);
    if (batch.length > 0) yield await flush();
  }

  /** Keeps the selection counted at request time; written before the request is appended. */
  async writePinned(exportId: string, sortedIds: readonly string[]): Promise<void> {
    mkdirSync(join(this.dir, 'pinned'), { recursive: true, mode: 0o700 });
    await writeFile(this.pinnedFile(exportId), JSON.stringify(sortedIds), {
      mode: 0o600,
      flag: 'wx',
    });
  }

  /** The selection pinned at request time; null when it is missing or unreadable. */
  async readPinned(exportId: string): Promise<string[] | null> {
    try {
      const ids: unknown = JSON.parse(await readFile(this.pinnedFile(exportId), 'utf8'));
      return Array.isArray(ids) && ids.every((id) => typeof id === 'string') ? ids : null;
    } catch {
      return null;
    }
  }

  /** The pinned selection of an export that is generated, failed or rejected. */
  removePinned(exportId: string): void {
    rmSync(this.pinnedFile(exportId), { force: true });
  }

  private pinnedFile(exportId: string): string {
    return join(this.dir, 'pinned', `${exportId}.json`);
  }

  async writeSubjects(exportId: string, run: string, subjectIds: readonly string[]) {
    await writeFile(this.file(exportId, run, 'subjects'), JSON.stringify(subjectIds), {
      mode: 0o600,
    });
  }

  /** The customers a real export included. */
  async subjects(exportId: string, run: string): Promise<string[]> {
    return JSON.parse(await readFile(this.file(exportId, run, 'subjects'), 'utf8')) as string[];
  }

  /** The export's files (of one generation run, or of every run). */
  remove(exportId: string, run?: string): void {
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

  /** Files of exports past their download window are deleted (their events stay). */
  private async purgeExpired(): Promise<void> {
    try {
      // Every export completed before now is in the read model first (at start-up, once built).
      await this.projections.catchUp('exports', { timeoutMs: 60_000 });
      const now = this.clock.now().toISOString();
      for (const doc of await exportsWhere(this.reads, this.projections, 'completed'))
        if (doc.expiresAt !== null && doc.expiresAt <= now) this.remove(doc.exportId);
    } catch (error) {
      // Not built yet (an empty log at start-up) or still catching up: the next sweep purges.
      if (error instanceof ServiceUnavailableException)
        this.logger.debug(`expired exports not purged yet: ${error.message}`);
      else this.logger.warn(`could not purge expired exports: ${(error as Error).message}`);
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
}

function parseRecord(record: string): { subjectId: string; sealed: string } | string {
  if (record.startsWith('p\t')) return JSON.parse(record.slice(2)) as string;
  const [kind, subjectId, sealed] = record.split('\t');
  if (kind !== 'r' || !subjectId || !sealed) throw new Error('malformed export file record');
  return { subjectId, sealed };
}
