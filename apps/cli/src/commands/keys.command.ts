import {
  finishRotation,
  masterKeyFingerprint,
  readMasterKeyFile,
  readRotationMarker,
  rotateMasterKey,
  SqliteKeyStore,
} from '@custodian/crypto';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { CliError, UsageError } from '../cli-errors';
import { cliConfig, configuredMasterKey, withKeyStore } from '../cli-stores';
import { Progress } from '../progress';

interface RotateOptions {
  newKeyFile?: string;
  finish?: boolean;
  batchSize?: string;
  pauseMs?: string;
}

/**
 * `keys rotate-master --new-key-file <file>`: re-wraps every data key under the new master key,
 * resumable (run it again after an interruption), while the app keeps serving. Then give every
 * process the new key, and `keys rotate-master --finish`. Steps: docs/admin-cli.md.
 */
@SubCommand({
  name: 'rotate-master',
  description:
    're-wrap every data key under a new master key (resumable, no downtime); --finish once every process runs with the new key',
})
export class RotateMasterCommand extends CommandRunner {
  async run(_args: string[], options: RotateOptions): Promise<void> {
    if (!!options.finish === !!options.newKeyFile)
      throw new UsageError('give either --new-key-file <file> (rotate or resume) or --finish');
    const pageSize = integerOption(options.batchSize, '--batch-size', 500, 1, 10_000);
    const pauseMs = integerOption(options.pauseMs, '--pause-ms', 0, 0, 60_000);
    const config = cliConfig();
    const current = configuredMasterKey(config);
    await withKeyStore(config, async (store) => {
      if (options.finish) {
        const progress = new Progress('finish rotation', await store.countKeys());
        const result = await finishRotation(store, current, {
          pageSize,
          pauseMs,
          onProgress: ({ done, total }) => progress.update(done, total),
        });
        progress.finish();
        const scrubbed = store instanceof SqliteKeyStore ? await store.compact() : true;
        console.log(
          JSON.stringify(
            {
              finished: true,
              masterKey: masterKeyFingerprint(current),
              keys: result.total,
              rewrappedNow: result.rewrapped,
              oldWrappingsScrubbed: scrubbed,
            },
            null,
            2,
          ),
        );
        console.log(
          'The old master key opens nothing any more: destroy every copy of it.' +
            (scrubbed
              ? ''
              : ' (A reader kept the key store busy: its write-ahead log still holds old wrappings until the next write or restart.)'),
        );
        return;
      }
      const file = resolve(options.newKeyFile!);
      refuseLooseKeyFile(file);
      const next = readMasterKeyFile(file);
      const marker = await readRotationMarker(store);
      const progress = new Progress('rotate master key', await store.countKeys());
      const result = await rotateMasterKey(store, current, next, {
        pageSize,
        pauseMs,
        onProgress: ({ done, total }) => progress.update(done, total),
      });
      progress.finish();
      console.log(
        JSON.stringify(
          {
            from: masterKeyFingerprint(current),
            to: masterKeyFingerprint(next),
            resumed: marker !== null,
            keys: result.total,
            rewrapped: result.rewrapped,
            alreadyUnderNewKey: result.alreadyNew,
          },
          null,
          2,
        ),
      );
      console.log(
        [
          'Every data key is now wrapped under the new master key; processes running with either key keep working.',
          'Next:',
          `  1. configure the new key in every process (CUSTODIAN_MASTER_KEY, or replace ${config.masterKey ? 'the secret' : 'master.key'} with ${file}) and restart them one by one;`,
          '  2. run `custodian keys rotate-master --finish` with the new key configured.',
        ].join('\n'),
      );
    });
  }

  @Option({
    flags: '--new-key-file <file>',
    description: 'the new master key: base64 of 32 bytes, owner-only file',
  })
  parseNewKeyFile(value: string): string {
    return value;
  }

  @Option({
    flags: '--finish',
    description: 'end the rotation: the configured key must be the new one',
  })
  parseFinish(): boolean {
    return true;
  }

  @Option({ flags: '--batch-size <n>', description: 'keys per write (default 500)' })
  parseBatchSize(value: string): string {
    return value;
  }

  @Option({
    flags: '--pause-ms <n>',
    description: 'pause between batches, to spare a busy store (default 0)',
  })
  parsePauseMs(value: string): string {
    return value;
  }
}

@Command({
  name: 'keys',
  description: 'master key operations',
  subCommands: [RotateMasterCommand],
})
export class KeysCommand extends CommandRunner {
  async run(): Promise<void> {
    throw new UsageError('name a keys command: rotate-master');
  }
}

function integerOption(
  value: string | undefined,
  flag: string,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max)
    throw new UsageError(`${flag} must be a whole number from ${min} to ${max}`);
  return n;
}

/** As the app refuses a master key file group or others may read: it may have been read. */
function refuseLooseKeyFile(file: string): void {
  let mode: number;
  try {
    mode = statSync(file).mode & 0o777;
  } catch (error) {
    throw new CliError(`${file}: cannot be read (${(error as NodeJS.ErrnoException).code})`);
  }
  if (process.platform !== 'win32' && (mode & 0o077) !== 0)
    throw new CliError(
      `the new master key file ${file} may be read by group or others (mode 0${mode.toString(8)}): chmod 600 ${file}`,
    );
}
