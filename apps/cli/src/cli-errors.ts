import { ActorsFileError, BackupError, ConfigError, DataDirInUseError } from '@custodian/platform';
import { MasterKeyError } from '@custodian/crypto';

/** Bad arguments: the message, the usage hint, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The operation cannot run as things stand (a store in use, a key that does not fit): code 1. */
export class CliError extends Error {
  override readonly name = 'CliError';
}

const KNOWN = [
  ActorsFileError,
  BackupError,
  ConfigError,
  DataDirInUseError,
  MasterKeyError,
  CliError,
];

/** Exit codes: 0 done, 1 failed, 2 bad arguments (as commander's own parse errors). */
export function exitCodeFor(error: unknown): number {
  return error instanceof UsageError ? 2 : 1;
}

/** One line for the errors the CLI expects (never a stack); the whole error otherwise. */
export function describeError(error: unknown): string {
  if (error instanceof UsageError) return `error: ${error.message}\n(run with --help for usage)`;
  if (KNOWN.some((type) => error instanceof type)) return `error: ${(error as Error).message}`;
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
