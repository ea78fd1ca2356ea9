/**
 * Waits for `promise`, failing after `ms` with `message` (a function is asked at that moment,
 * so it can say how far things got) instead of hanging until jest's own timeout says nothing.
 */
export function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
  message: string | (() => string),
): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(typeof message === 'string' ? message : message())),
        ms,
      );
    }),
  ]).finally(() => clearTimeout(timer));
}
