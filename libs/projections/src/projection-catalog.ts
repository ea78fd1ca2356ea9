import type { JsonObject } from '@custodian/domain';
import { UnknownCollectionError, type DocumentWrite, type ReadStore } from '@custodian/read-store';

/** Read-store collection recording which build of each projection readers are served. */
export const PROJECTIONS_CATALOG = 'projections';

export interface ProjectionBuild {
  version: number;
  collection: string;
}

export interface ProjectionCatalogEntry {
  /** The build readers query. */
  active: ProjectionBuild;
  /** A build of a newer (or older) definition catching up, swapped in once it has. */
  pending: ProjectionBuild | null;
  /**
   * Builds swapped out, kept for a grace period for readers still holding their name, then
   * dropped (by the projector, at the end of the grace period or at its next start).
   */
  retired?: RetiredBuild[];
}

export interface RetiredBuild extends ProjectionBuild {
  /** When it was swapped out (ms since the epoch). */
  retiredAt: number;
}

/** The entry for a projection; null before any projector has started it. */
export async function readCatalogEntry(
  reads: ReadStore,
  name: string,
): Promise<ProjectionCatalogEntry | null> {
  try {
    return (await reads.get(PROJECTIONS_CATALOG, name)) as ProjectionCatalogEntry | null;
  } catch (error) {
    // The catalog itself is created by the first projector to start.
    if (error instanceof UnknownCollectionError) return null;
    throw error;
  }
}

export function catalogWrite(name: string, entry: ProjectionCatalogEntry): DocumentWrite {
  return { collection: PROJECTIONS_CATALOG, id: name, doc: entry as unknown as JsonObject };
}

/**
 * Resolves a projection's active collection from the catalog, for processes that read
 * projections another process runs (the API when the projector is deployed apart).
 */
export async function activeCollection(reads: ReadStore, name: string): Promise<string | null> {
  return (await readCatalogEntry(reads, name))?.active.collection ?? null;
}
