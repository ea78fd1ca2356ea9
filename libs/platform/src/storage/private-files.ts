import {
  chmodSync,
  closeSync,
  existsSync,
  fchmodSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  statSync,
} from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Owner-only files for the data directory (issue 11, item 8). Everything Custodian keeps there
 * (stores and their WAL/SHM files, export files, the generated master key and actors file) is
 * for the service's own user: directories 0700, files 0600, set explicitly rather than left to
 * the process umask. Files and directories that an earlier version (or a loose umask) left
 * open to group or others are tightened at start-up, with a warning naming each: they were
 * created by Custodian itself, so refusing to start would break every upgrade. A master key or
 * actors file that others may read or write is refused instead (`secretFileProblems`).
 * Windows has no such modes: nothing is done there.
 */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

export type Warn = (message: string) => void;

const POSIX = process.platform !== 'win32';

/** Creates the directory (and missing parents) 0700, or tightens an existing one. */
export function preparePrivateDir(dir: string, warn: Warn): void {
  if (!POSIX) {
    mkdirSync(dir, { recursive: true });
    return;
  }
  if (mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE }) !== undefined)
    chmodSync(dir, PRIVATE_DIR_MODE);
  else tighten(dir, PRIVATE_DIR_MODE, warn);
}

/**
 * Creates an SQLite database file empty and 0600 before SQLite opens it (SQLite would create it
 * 0644 less the umask, and gives its `-wal` and `-shm` files the database file's mode), or
 * tightens an existing one together with its `-wal`, `-shm` and `-journal` files.
 */
export function preparePrivateFile(file: string, warn: Warn): void {
  preparePrivateDir(dirname(file), warn);
  if (!POSIX) return;
  let fd: number | undefined;
  try {
    fd = openSync(file, 'wx', PRIVATE_FILE_MODE);
    fchmodSync(fd, PRIVATE_FILE_MODE);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  for (const path of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`])
    if (existsSync(path)) tighten(path, PRIVATE_FILE_MODE, warn);
}

/**
 * The data directory 0700, and its `exports/` tree tightened (directories 0700, files 0600;
 * the stores' own files are prepared as each store opens).
 */
export function prepareDataDir(dataDir: string, warn: Warn): void {
  preparePrivateDir(dataDir, warn);
  const exportsDir = join(dataDir, 'exports');
  if (!POSIX || !existsSync(exportsDir)) return;
  tightenTree(exportsDir, warn);
}

/** A directory 0700 and everything under it: directories 0700, files 0600 (links untouched). */
function tightenTree(dir: string, warn: Warn): void {
  preparePrivateDir(dir, warn);
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const entry = lstatSync(path);
    if (entry.isDirectory()) tightenTree(path, warn);
    else if (entry.isFile()) tighten(path, PRIVATE_FILE_MODE, warn);
  }
}

/** Takes away every permission beyond `mode` (never adds one), and says so. */
function tighten(path: string, mode: number, warn: Warn): void {
  const current = statSync(path).mode & 0o777;
  if ((current & ~mode) === 0) return;
  const wanted = current & mode;
  try {
    chmodSync(path, wanted);
    warn(
      `${path} was open to group or others (mode ${octal(current)}); tightened to ${octal(wanted)}`,
    );
  } catch (error) {
    warn(
      `${path} is open to group or others (mode ${octal(current)}) and could not be tightened ` +
        `(${(error as NodeJS.ErrnoException).code ?? 'error'}): run \`chmod ${octal(wanted)} ${path}\``,
    );
  }
}

export function octal(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, '0')}`;
}

/**
 * A secret file (master key, actors file) that group or others may read or write, as ssh
 * refuses a private key others can read: one line naming the file and the fix. Undefined when
 * the file is owner-only, absent (it is created owner-only, or its loader reports it) or on
 * Windows.
 */
export function looseSecretFile(file: string, what: string): string | undefined {
  if (!POSIX) return undefined;
  let mode: number;
  try {
    mode = statSync(file).mode & 0o777;
  } catch {
    return undefined;
  }
  if ((mode & 0o077) === 0) return undefined;
  return (
    `${what} ${file} may be read or written by group or others (mode ${octal(mode)}); ` +
    `make it owner-only: chmod 600 ${file}`
  );
}
