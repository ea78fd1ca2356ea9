import { readRotationMarker } from '@custodian/crypto';
import { loadActors, type CustodianConfig } from '@custodian/platform';
import {
  checkpointName,
  DEAD_LETTERS,
  processorLag,
  projectionLag,
  PROJECTIONS_CATALOG,
  type ProjectionCatalogEntry,
} from '@custodian/projections';
import { UnknownCollectionError, type ReadStore } from '@custodian/read-store';
import { Command, CommandRunner, Option } from 'nest-commander';
import { existsSync } from 'node:fs';
import { cliConfig, withKeyStore, withStores } from '../cli-stores';

/** The processors the product runs (their checkpoints are `reactor:<name>`). */
const PROCESSORS = ['anomaly-detector', 'erasure-reconciler'] as const;
/** The leases a deployment holds (`singleton`: sweeps and resumptions; `projector`: its heartbeat). */
const LEASES = ['singleton', 'projector'];

/** `status [--json]`: what the stores hold and how far each reader has got. */
@Command({
  name: 'status',
  description:
    'stores, the log head, each projection and processor (checkpoint, lag, dead letters), the lease, the actors',
})
export class StatusCommand extends CommandRunner {
  async run(_args: string[], options: { json?: boolean }): Promise<void> {
    const config = cliConfig();
    const report = await withStores(config, async ({ events, reads }) => {
      const last = await events.readLastEvent();
      const catalog = await all(reads, PROJECTIONS_CATALOG);
      const names = catalog.map((c) => c.id);
      const lags = await projectionLag(events, reads, names);
      const processors = await processorLag(
        events,
        reads,
        PROCESSORS.map((name) => ({ name, checkpoint: `reactor:${name}` })),
      );
      const projections = await Promise.all(
        catalog.map(async ({ id, doc }) => {
          const entry = doc as unknown as ProjectionCatalogEntry;
          const build = entry.pending ?? entry.active;
          const checkpoint = await reads.getCheckpoint(checkpointName(build.collection));
          const lag = lags.find((l) => l.name === id)!;
          return {
            name: id,
            version: entry.active.version,
            rebuildingTo: entry.pending?.version ?? null,
            collection: entry.active.collection,
            position: checkpoint?.position ?? null,
            eventsApplied: checkpoint?.sequence ?? 0,
            eventsBehind: lag.eventsBehind,
            secondsBehind: lag.secondsBehind,
          };
        }),
      );
      return {
        stores: describeStores(config),
        log: {
          events: await events.countEventsAfter(undefined, 100_000_000),
          head: last?.position ?? null,
          lastEventAt: last ? String(last.metadata?.occurredAt ?? '') || null : null,
        },
        projections,
        processors: processors.map((p) => ({
          name: p.name,
          checkpoint: p.checkpoint,
          eventsBehind: p.eventsBehind,
          secondsBehind: p.secondsBehind,
          deadLetters: p.deadLetters,
        })),
        deadLetters: await countAll(reads, DEAD_LETTERS),
        lease: await lease(reads),
        keyRotation: await withKeyStore(config, async (keys) => {
          const marker = await readRotationMarker(keys);
          return marker
            ? {
                from: marker.oldFingerprint,
                to: marker.newFingerprint,
                phase: marker.phase,
                keysDone: marker.rewrapped,
                keys: await keys.countKeys(),
              }
            : null;
        }),
        actors: actorsSummary(config),
      };
    });
    if (options.json) {
      console.log(JSON.stringify(report, null, 2));
      return;
    }
    const lines = [
      `event store  ${report.stores.eventStore}`,
      `read store   ${report.stores.readStore}`,
      `log          ${report.log.events} events, head ${report.log.head ?? '(empty)'}${report.log.lastEventAt ? ` at ${report.log.lastEventAt}` : ''}`,
      'projections',
      ...report.projections.map(
        (p) =>
          `  ${p.name.padEnd(22)} v${p.version}${p.rebuildingTo !== null ? ` (rebuilding as v${p.rebuildingTo})` : ''}  applied ${p.eventsApplied}, behind ${p.eventsBehind} events / ${p.secondsBehind}s`,
      ),
      ...(report.projections.length === 0 ? ['  (none started yet)'] : []),
      'processors',
      ...report.processors.map(
        (p) =>
          `  ${p.name.padEnd(22)} behind ${p.eventsBehind} events / ${p.secondsBehind}s, dead letters ${p.deadLetters}`,
      ),
      `dead letters ${report.deadLetters}`,
      `lease        ${report.lease ? JSON.stringify(report.lease) : '(none in these stores)'}`,
      `key rotation ${report.keyRotation ? `${report.keyRotation.phase} ${report.keyRotation.from} -> ${report.keyRotation.to}, ${report.keyRotation.keysDone}/${report.keyRotation.keys} keys` : 'none under way'}`,
      `actors       ${report.actors.error ?? `${report.actors.active} active (${report.actors.keys} with API keys, ${report.actors.people} people), ${report.actors.disabled} disabled`}`,
    ];
    console.log(lines.join('\n'));
  }

  @Option({ flags: '--json', description: 'print the report as JSON' })
  parseJson(): boolean {
    return true;
  }
}

function describeStores(config: CustodianConfig) {
  return {
    eventStore:
      config.eventStore.kind === 'sqlite'
        ? `sqlite ${config.eventStore.file}`
        : 'eventstoredb (connection string not shown)',
    readStore:
      config.readStore.kind === 'sqlite'
        ? `sqlite ${config.readStore.file}`
        : `mongodb database ${config.readStore.database}`,
    keyStore:
      config.readStore.kind === 'sqlite'
        ? `sqlite ${config.dataDir}/keys.sqlite`
        : `mongodb database ${config.readStore.database}`,
  };
}

async function all(reads: ReadStore, collection: string) {
  const items: Array<{ id: string; doc: Record<string, unknown> }> = [];
  let cursor: string | undefined;
  try {
    do {
      const page = await reads.find(collection, { limit: 1000, cursor });
      items.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  } catch (error) {
    if (error instanceof UnknownCollectionError) return [];
    throw error;
  }
  return items;
}

async function countAll(reads: ReadStore, collection: string): Promise<number> {
  try {
    return await reads.count(collection);
  } catch (error) {
    if (error instanceof UnknownCollectionError) return 0;
    throw error;
  }
}

/** The leases as stored, when the read store keeps leases (`getLease`); null otherwise. */
async function lease(reads: ReadStore) {
  const store = reads as ReadStore & { getLease?: (name: string) => Promise<object | null> };
  if (typeof store.getLease !== 'function') return null;
  const found: Record<string, object | null> = {};
  for (const name of LEASES) found[name] = await store.getLease(name);
  return Object.values(found).some((l) => l !== null) ? found : null;
}

function actorsSummary(config: CustodianConfig) {
  if (!existsSync(config.actorsFile))
    return {
      active: 0,
      keys: 0,
      people: 0,
      disabled: 0,
      error: `no actors file at ${config.actorsFile}`,
    };
  try {
    const actors = loadActors(config.actorsFile);
    const active = actors.filter((a) => !a.disabled);
    return {
      active: active.length,
      keys: active.filter((a) => a.kind === 'key').length,
      people: active.filter((a) => a.kind === 'person').length,
      disabled: actors.length - active.length,
      error: undefined,
    };
  } catch (error) {
    return { active: 0, keys: 0, people: 0, disabled: 0, error: (error as Error).message };
  }
}
