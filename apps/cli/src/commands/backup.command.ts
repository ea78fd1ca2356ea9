import { backupDataDir, restoreDataDir } from '@custodian/platform';
import { Command, CommandRunner, Option } from 'nest-commander';
import { resolve } from 'node:path';
import { UsageError } from '../cli-errors';
import { cliConfig, isEmbedded } from '../cli-stores';

function embeddedConfig() {
  const config = cliConfig();
  if (!isEmbedded(config))
    throw new UsageError(
      'backup and restore cover the embedded stores only; with EventStoreDB and MongoDB use their own backup tools (README, "Backup and restore")',
    );
  return config;
}

@Command({
  name: 'backup',
  arguments: '<directory>',
  description: 'copy the embedded stores into a new, empty directory while the app runs',
})
export class BackupCommand extends CommandRunner {
  async run([directory]: string[]): Promise<void> {
    const config = embeddedConfig();
    const target = resolve(directory);
    const manifest = backupDataDir(config.dataDir, target);
    console.log(JSON.stringify({ backup: target, ...manifest }, null, 2));
    console.log(
      'The master key is not in the backup: keep it (CUSTODIAN_MASTER_KEY or master.key) apart from it.',
    );
  }
}

@Command({
  name: 'restore',
  arguments: '<directory>',
  description:
    "write a backup's stores into the data directory (the API and the projector must be stopped); erasures in the current log are carried over",
})
export class RestoreCommand extends CommandRunner {
  async run([directory]: string[], options: { only?: string }): Promise<void> {
    if (options.only !== undefined && options.only !== 'keys')
      throw new UsageError('--only takes "keys" (the key store alone)');
    const config = embeddedConfig();
    const report = await restoreDataDir(resolve(directory), config.dataDir, {
      only: options.only === 'keys' ? 'keys' : undefined,
    });
    console.log(JSON.stringify({ restoredInto: config.dataDir, ...report }, null, 2));
    if (!report.currentLogFound && !options.only)
      console.warn(
        'There was no current event log to carry erasures from: erasures recorded after this backup are not known. Re-apply them (README, "Backup and restore") before serving.',
      );
    console.log('Start the app: it re-applies every erasure in the log before it serves.');
  }

  @Option({ flags: '--only <part>', description: 'restore one part only: "keys" (the key store)' })
  parseOnly(value: string): string {
    return value;
  }
}
