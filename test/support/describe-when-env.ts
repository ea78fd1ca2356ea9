/**
 * Runs a suite only when the named environment variable is set (a server to test against);
 * otherwise reports the suite as skipped and says why, so a green run never hides it.
 */
export function describeWhenEnv(
  variable: string,
  title: string,
  suite: (value: string) => void,
): void {
  const value = process.env[variable];
  if (value) {
    describe(title, () => suite(value));
    return;
  }
  console.warn(
    `SKIPPED: ${title} — ${variable} is not set, so there is no server to run it against.`,
  );
  describe.skip(`${title} (skipped: ${variable} is not set)`, () => suite(''));
}
