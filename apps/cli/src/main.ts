import {
  backupDataDir,
  BackupError,
  ConfigError,
  DataDirInUseError,
  loadConfig,
  LOG_VERIFY_USAGE,
  parseLogVerifyArgs,
  restoreDataDir,
  runLogVerify,
} from '@custodian/platform';
import { resolve } from 'node:path';

const USAGE = `usage:
  npm run backup -- <new directory>               copy the embedded stores while the app runs
  npm run restore -- <backup directory> [--only keys]
                                                  write a backup's stores into the data directory
                                                  (the API and the projector must be stopped)
  node dist/apps/cli/src/main.js ${LOG_VERIFY_USAGE}`;

/**
 * The admin CLI for the embedded stores (`CUSTODIAN_DATA_DIR`). A plain entry point, built
 * with the apps: two commands with one argument each need no CLI framework.
 */
async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'log' && argv[1] === 'verify') {
    const args = parseLogVerifyArgs(argv.slice(2));
    if (typeof args === 'string') {
      console.error(`${args}\n${USAGE}`);
      return 2;
    }
    return (await runLogVerify(loadConfig(), args)).code;
  }
  const [command, directory, ...rest] = argv;
  const only = rest[0] === '--only' ? rest[1] : undefined;
  if (
    !directory ||
    (command !== 'backup' && command !== 'restore') ||
    (rest.length > 0 && (command !== 'restore' || only !== 'keys' || rest.length !== 2))
  ) {
    console.error(USAGE);
    return 2;
  }
  const config = loadConfig();
  if (config.eventStore.kind !== 'sqlite' || config.readStore.kind !== 'sqlite') {
    console.error(
      'backup and restore cover the embedded stores only; with EventStoreDB and MongoDB use their own backup tools (README, "Backup and restore")',
    );
    return 2;
  }
  const target = resolve(directory);
  if (command === 'backup') {
    const manifest = backupDataDir(config.dataDir, target);
    console.log(JSON.stringify({ backup: target, ...manifest }, null, 2));
    console.log(
      'The master key is not in the backup: keep it (CUSTODIAN_MASTER_KEY or master.key) apart from it.',
    );
    return 0;
  }
  const report = await restoreDataDir(target, config.dataDir, {
    only: only === 'keys' ? 'keys' : undefined,
  });
  console.log(JSON.stringify({ restoredInto: config.dataDir, ...report }, null, 2));
  if (!report.currentLogFound && !only)
    console.warn(
      'There was no current event log to carry erasures from: erasures recorded after this backup are not known. Re-apply them (README, "Backup and restore") before serving.',
    );
  console.log('Start the app: it re-applies every erasure in the log before it serves.');
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const known =
      error instanceof ConfigError ||
      error instanceof BackupError ||
      error instanceof DataDirInUseError;
    console.error(known ? (error as Error).message : error);
    process.exit(1);
  },
);
