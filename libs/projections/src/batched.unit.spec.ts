import { batched } from './batched';

describe('batched', () => {
  it('hands on what has arrived without waiting for a full batch', async () => {
    // 4 comes only once the first batch has been handed on: no timer, so no race under load
    // (a batcher that waited for a full batch would never see 4, and the test would time out).
    let release!: () => void;
    const handedOn = new Promise<void>((resolve) => (release = resolve));
    async function* source() {
      yield 1;
      yield 2;
      yield 3;
      await handedOn;
      yield 4;
    }
    const batches = [];
    for await (const batch of batched(source(), 10)) {
      batches.push(batch);
      release();
    }
    expect(batches).toEqual([
      { items: [1, 2, 3], idle: true },
      { items: [4], idle: true },
    ]);
  });

  it('never exceeds the maximum size', async () => {
    async function* source() {
      for (let i = 0; i < 10; i++) yield i;
    }
    const sizes = [];
    for await (const batch of batched(source(), 4)) sizes.push(batch.items.length);
    expect(sizes).toEqual([4, 4, 2]);
  });

  it('announces once that a source with nothing ready is idle', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    async function* source() {
      await gate;
      yield 'late';
    }
    const batches: unknown[] = [];
    const consumed = (async () => {
      for await (const batch of batched(source(), 10)) batches.push(batch);
    })();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(batches).toEqual([{ items: [], idle: true }]);
    release();
    await consumed;
    expect(batches).toEqual([
      { items: [], idle: true },
      { items: ['late'], idle: true },
    ]);
  });

  it('lets a started batch linger for more items when asked to', async () => {
    async function* source() {
      yield 1;
      await new Promise((resolve) => setTimeout(resolve, 5));
      yield 2;
      await new Promise((resolve) => setTimeout(resolve, 60));
      yield 3;
    }
    const batches: unknown[] = [];
    for await (const batch of batched(source(), 10, 30)) batches.push(batch);
    expect(batches).toEqual([
      { items: [1, 2], idle: true },
      { items: [3], idle: true },
    ]);
  });
});
