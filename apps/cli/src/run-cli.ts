import { CommandFactory, CommandRunnerService } from 'nest-commander';
import { CliModule } from './cli.module';
import { describeError, exitCodeFor } from './cli-errors';

/** What the CLI needs of commander's Command (nest-commander brings its own copy). */
interface CommanderCommand {
  readonly commands: readonly CommanderCommand[];
  name(name: string): unknown;
  exitOverride(handler: (error: { exitCode: number }) => void): unknown;
  allowExcessArguments(allow: boolean): unknown;
  showHelpAfterError(message: string): unknown;
}

/**
 * Runs one admin CLI command line (`args`: what follows `custodian`) and resolves with its exit
 * code: 0 done, 1 failed (the reason on standard error), 2 bad arguments (with a pointer to the
 * usage). `main.ts` exits the process with it; tests call it in-process. The configuration is
 * read from the environment, as the app reads it.
 */
export async function runCli(args: readonly string[]): Promise<number> {
  let code = 0;
  const app = await CommandFactory.createWithoutRunning(CliModule, {
    logger: false,
    cliName: 'custodian',
    serviceErrorHandler: (error) => {
      if (error instanceof ExitRequest) {
        code = error.code;
        return;
      }
      console.error(describeError(error));
      code = exitCodeFor(error);
    },
  });
  try {
    // Commander's parse errors (unknown command or option, a missing or extra argument) exit 2
    // on every level: nest-commander builds subcommands that would not inherit the setting.
    const runner = app.get(CommandRunnerService);
    const root = (runner as unknown as { commander: CommanderCommand }).commander;
    const configure = (command: CommanderCommand): void => {
      command.exitOverride((error) => {
        // Help asked for (--help) is exit 0; help shown for a missing command is a usage error.
        throw new ExitRequest(error.exitCode === 0 ? 0 : 2);
      });
      command.allowExcessArguments(false);
      command.showHelpAfterError('(run with --help for usage)');
      command.commands.forEach(configure);
    };
    root.name('custodian');
    configure(root);
    // Commander reads a node-style argv: the runtime and the script come first.
    await runner.run([process.execPath, 'custodian', ...args]);
  } finally {
    await app.close();
  }
  return code;
}

class ExitRequest extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}
