#!/usr/bin/env node
import 'reflect-metadata';
import { describeError, exitCodeFor } from './cli-errors';
import { runCli } from './run-cli';

/**
 * The admin CLI (`npx custodian <command>`, `npm run cli -- <command>`): nest-commander
 * commands, each one provider in `commands/` listed in `cli.module.ts`, run by `runCli`; the
 * process exits with its code.
 */
runCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(describeError(error));
    process.exit(exitCodeFor(error));
  },
);
