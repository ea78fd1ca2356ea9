import {
  anomalyRuleHistory,
  assertDataDirNotInUse,
  currentPolicy,
  projectionDefinitions,
  systemClock,
} from '@custodian/platform';
import { ProjectionRunner, readCatalogEntry } from '@custodian/projections';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { CliError, UsageError } from '../cli-errors';
import { cliConfig, isEmbedded, withStores } from '../cli-stores';
import { Progress } from '../progress';

/**
 * `projections rebuild <name>`: builds the projection again from the whole log into a new
 * collection and swaps it in, as a version bump does. The embedded stores must not be open in
 * another process (the running app's projector would go on writing the old build).
 */
@SubCommand({
  name: 'rebuild',
  arguments: '<name>',
  description:
    'rebuild one projection from the log into a fresh collection, then swap it in (app stopped)',
})
export class RebuildProjectionCommand extends CommandRunner {
  async run([name]: string[], options: { force?: boolean }): Promise<void> {
    const config = cliConfig();
    // Checked before this process opens the stores itself.
    if (isEmbedded(config)) assertDataDirNotInUse(config.dataDir);
    else if (!options.force)
      throw new CliError(
        'with EventStoreDB and MongoDB the CLI cannot see whether a projector runs: stop every projector (and the APIs running projections), then run this again with --force',
      );
    await withStores(config, async ({ events, reads }) => {
      const definitions = projectionDefinitions(
        await currentPolicy(events, systemClock),
        await anomalyRuleHistory(events),
      );
      const definition = definitions.find((d) => d.name === name);
      if (!definition)
        throw new UsageError(
          `no projection named "${name}"; known: ${definitions.map((d) => d.name).join(', ')}`,
        );
      const before = await readCatalogEntry(reads, name);
      const total = await events.countEventsAfter(undefined, 100_000_000);
      const runner = new ProjectionRunner(events, reads, [definition], { batchSize: 1000 });
      await runner.replace(definition, { rebuild: true });
      const progress = new Progress(`rebuild ${name}`, total);
      await runner.start();
      try {
        for (;;) {
          const [status] = runner.status();
          if (status.state === 'failed') throw new CliError(`rebuild failed: ${status.error}`);
          progress.update(status.sequence, total);
          if (status.state === 'live') break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      } finally {
        await runner.stop();
      }
      progress.finish();
      const after = await readCatalogEntry(reads, name);
      console.log(
        JSON.stringify(
          {
            projection: name,
            version: definition.version,
            events: total,
            previousCollection: before?.active.collection ?? null,
            collection: after?.active.collection ?? null,
          },
          null,
          2,
        ),
      );
    });
  }

  @Option({
    flags: '--force',
    description: 'EventStoreDB/MongoDB only: every projector has been stopped',
  })
  parseForce(): boolean {
    return true;
  }
}

@Command({
  name: 'projections',
  description: 'projection maintenance',
  subCommands: [RebuildProjectionCommand],
})
export class ProjectionsCommand extends CommandRunner {
  async run(): Promise<void> {
    throw new UsageError('name a projections command: rebuild <name>');
  }
}
