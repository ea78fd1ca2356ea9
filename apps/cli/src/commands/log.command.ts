import { runLogVerify } from '@custodian/platform';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { CliError, UsageError } from '../cli-errors';
import { cliConfig } from '../cli-stores';

const POSITION = /^\d{1,20}$/;

/**
 * `log verify`: the event log against its signed checkpoints (docs/integrity.md). Prints the
 * report; exits 0 when the log holds, 1 with the first position at fault when it does not.
 * Works on a copy of the data directory, or beside the running app (it only reads).
 */
@SubCommand({
  name: 'verify',
  description:
    'verify the event log (or a range of positions) against its signed checkpoints; exit 1 at the first fault',
})
export class VerifyLogCommand extends CommandRunner {
  async run(
    _args: string[],
    options: { from?: string; to?: string; publicKey?: string },
  ): Promise<void> {
    for (const name of ['from', 'to'] as const) {
      const value = options[name];
      if (value !== undefined && !POSITION.test(value))
        throw new UsageError(`--${name} must be a log position (digits)`);
    }
    const { code, report } = await runLogVerify(cliConfig(), options);
    if (code !== 0)
      throw new CliError(
        `the log does not verify: ${JSON.stringify(report.firstProblem ?? report.ok)}`,
      );
  }

  @Option({ flags: '--from <position>', description: 'first log position to verify' })
  parseFrom(value: string): string {
    return value;
  }

  @Option({ flags: '--to <position>', description: 'last log position to verify' })
  parseTo(value: string): string {
    return value;
  }

  @Option({
    flags: '--public-key <base64>',
    description: "the checkpoints' Ed25519 public key (SPKI, base64); default: from the master key",
  })
  parsePublicKey(value: string): string {
    return value;
  }
}

@Command({ name: 'log', description: 'the event log', subCommands: [VerifyLogCommand] })
export class LogCommand extends CommandRunner {
  async run(): Promise<void> {
    throw new UsageError('name a log command: verify');
  }
}
