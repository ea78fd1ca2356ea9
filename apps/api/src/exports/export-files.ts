import { openSealedFile, openSealedFileWriter, type SealedFileWriter } from '@custodian/crypto';
import {
  CLOCK,
  CUSTODIAN_CONFIG,
  MASTER_KEY,
  ProjectionReader,
  type Clock,
  type CustodianConfig,
} from '@custodian/platform';
import { READ_STORE, type ReadStore } from '@custodian/read-store';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { exportsWhere } from './export-view';

export type ExportFormat = 'ndjson' | 'csv';
const SWEEP_MS = 10 * 60_000;

/**
 * An export's files under `<data dir>/exports/`, named by export and generation run: the
 * NDJSON and CSV sealed at rest under a key derived from the master key, and (real exports)
 * the ids of the customers included. Files of expired exports are swept away (their events
 * stay).
 */
@Injectable()
export class ExportFiles implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ExportFiles.name);
  private readonly dir: string;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    @Inject(MASTER_KEY) private readonly master: Buffer,
    @Inject(CUSTODIAN_CONFIG) config: CustodianConfig,
    @Inject(READ_STORE) private readonly reads: ReadStore,
    private readonly projections: ProjectionReader,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.dir = join(config.dataDir, 'exports');
  }

  /** Files of expired exports are deleted at start-up and every ten minutes; it holds nothing up. */
  onApplicationBootstrap(): void {
    void this.purgeExpired();
    this.sweeper = setInterval(() => void this.purgeExpired(), SWEEP_MS);
    this.sweeper.unref();
  }

  onApplicationShutdown(): void {
    if (this.sweeper) clearInterval(this.sweeper);
  }

  /** The sealed writers of one generation run. */
  create(exportId: string, run: string): Record<ExportFormat, SealedFileWriter> {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    return {
      ndjson: openSealedFileWriter(
        this.file(exportId, run, 'ndjson'),
        this.master,
        `${exportId}/ndjson`,
      ),
      csv: openSealedFileWriter(this.file(exportId, run, 'csv'), this.master, `${exportId}/csv`),
    };
  }

  /** The file's plaintext, decrypted as it is read. */
  open(exportId: string, run: string, format: ExportFormat): Readable {
    return Readable.from(
      openSealedFile(this.file(exportId, run, format), this.master, `${exportId}/${format}`),
    );
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
      const now = this.clock.now().toISOString();
      for (const doc of await exportsWhere(this.reads, this.projections, 'completed'))
        if (doc.expiresAt !== null && doc.expiresAt <= now) this.remove(doc.exportId);
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
}
