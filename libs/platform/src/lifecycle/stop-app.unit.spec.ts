import type { INestApplicationContext } from '@nestjs/common';
import { Lifecycle } from './lifecycle';
import { stopApp } from './stop-app';

const never = () => new Promise<void>(() => undefined);

function appWith(lifecycle: Lifecycle, close: () => Promise<void>): INestApplicationContext {
  return { get: () => lifecycle, close } as unknown as INestApplicationContext;
}

describe('stopApp', () => {
  it('returns once the app has closed, telling long-lived work to end first', async () => {
    const lifecycle = new Lifecycle();
    const order: string[] = [];
    lifecycle.stopping.addEventListener('abort', () => order.push('told to stop'));
    const outcome = await stopApp(
      appWith(lifecycle, async () => void order.push('closed')),
      { timeoutMs: 1000 },
    );
    expect(outcome).toMatchObject({ completed: true, pending: [] });
    expect(order).toEqual(['told to stop', 'closed']);
  });

  it('gives up after its bound and names the steps still pending', async () => {
    const lifecycle = new Lifecycle();
    void lifecycle.step('projections: stop', never);
    const errors: string[] = [];
    const outcome = await stopApp(appWith(lifecycle, never), {
      timeoutMs: 50,
      log: { log: () => undefined, error: (m) => errors.push(m) },
    });
    expect(outcome.completed).toBe(false);
    expect(outcome.pending).toEqual([expect.stringMatching(/^projections: stop \(\d+ ms\)$/)]);
    expect(errors).toEqual([
      expect.stringContaining(
        'shutdown did not finish within 50 ms; still pending: projections: stop',
      ),
    ]);
  });

  it('lists a step only while it runs', async () => {
    const lifecycle = new Lifecycle();
    let finish!: () => void;
    const step = lifecycle.step(
      'exports: generation',
      () => new Promise<void>((r) => (finish = r)),
    );
    expect(lifecycle.pendingSteps().map((s) => s.name)).toEqual(['exports: generation']);
    finish();
    await step;
    expect(lifecycle.pendingSteps()).toEqual([]);
  });
});
