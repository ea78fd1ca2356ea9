import { backoffDelay, sleep } from './esdb-backoff';

describe('resubscribe backoff', () => {
  it('doubles from 100 ms up to 5 s, with half of each delay random', () => {
    const low = (attempt: number) => backoffDelay(attempt, {}, () => 0);
    const high = (attempt: number) => backoffDelay(attempt, {}, () => 1);
    expect([0, 1, 2, 3].map(high)).toEqual([100, 200, 400, 800]);
    expect([0, 1, 2, 3].map(low)).toEqual([50, 100, 200, 400]);
    expect(high(6)).toBe(5000);
    expect(high(1000)).toBe(5000);
    expect(low(1000)).toBe(2500);
    for (let i = 0; i < 100; i++) {
      const delay = backoffDelay(3);
      expect(delay).toBeGreaterThanOrEqual(400);
      expect(delay).toBeLessThanOrEqual(800);
    }
  });

  it('takes its bounds from options', () => {
    expect(backoffDelay(0, { initialDelayMs: 10, maxDelayMs: 30 }, () => 1)).toBe(10);
    expect(backoffDelay(5, { initialDelayMs: 10, maxDelayMs: 30 }, () => 1)).toBe(30);
  });

  it('sleeps, and wakes at once on abort', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const sleeping = sleep(60_000, controller.signal);
    controller.abort();
    await sleeping;
    expect(Date.now() - started).toBeLessThan(1000);
    await sleep(60_000, controller.signal); // already aborted: returns at once
    const short = Date.now();
    await sleep(20, new AbortController().signal);
    expect(Date.now() - short).toBeGreaterThanOrEqual(15);
  });
});
