/**
 * Command-line options for the HTTP benches: `--name` or `--name=value`, each also readable from
 * the environment as `BENCH_NAME` (dashes become underscores). With `--quick`, numbers not given
 * take their quick default.
 */

/** Accepted by every bench: do not keep a run log in bench/results (see run-log.ts). */
export const NO_LOG_OPTION = 'no-log';

/** A bad command-line option or environment value. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface Options {
  quick: boolean;
  /** The value given on the command line, else in the environment. */
  raw(name: string): string | undefined;
  /** On when given, unless given as `0` or `false`. */
  flag(name: string): boolean;
  /** A number >= `min`, `_` allowed as a digit separator; the default depends on `quick`. */
  num(name: string, fallback: number, quickFallback: number, min: number): number;
  /** The same, and a safe integer. */
  int(name: string, fallback: number, quickFallback: number, min: number): number;
}

/**
 * Reads `argv` against the `known` option names; `aliases` maps another spelling to a known
 * name (e.g. `seconds` to `duration`). Throws UsageError on anything else.
 */
export function readOptions(
  argv: readonly string[],
  known: readonly string[],
  aliases: Readonly<Record<string, string>> = {},
): Options {
  const args = new Map<string, string>();
  for (const arg of argv) {
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!match) throw new UsageError(`unknown argument "${arg}" (expected --name or --name=value)`);
    args.set(aliases[match[1]] ?? match[1], match[2] ?? 'true');
  }
  for (const name of args.keys()) {
    if (!known.includes(name) && name !== NO_LOG_OPTION)
      throw new UsageError(
        `unknown option --${name} (known: ${[...known, NO_LOG_OPTION].join(', ')})`,
      );
  }
  const raw = (name: string): string | undefined =>
    args.get(name) ?? process.env[`BENCH_${name.toUpperCase().replace(/-/g, '_')}`];
  const flag = (name: string): boolean => {
    const value = raw(name);
    return value !== undefined && value !== '0' && value !== 'false';
  };
  const quick = flag('quick');
  const num = (name: string, fallback: number, quickFallback: number, min: number): number => {
    const value = raw(name);
    if (value === undefined) return quick ? quickFallback : fallback;
    const n = Number(value.replace(/_/g, ''));
    if (!Number.isFinite(n) || n < min)
      throw new UsageError(`--${name} must be a number >= ${min}`);
    return n;
  };
  const int = (name: string, fallback: number, quickFallback: number, min: number): number => {
    const n = num(name, fallback, quickFallback, min);
    if (!Number.isSafeInteger(n)) throw new UsageError(`--${name} must be an integer`);
    return n;
  };
  return { quick, raw, flag, num, int };
}
