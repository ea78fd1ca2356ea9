interface Waiter {
  after: number;
  wake(): void;
}

/**
 * Subscribers waiting for events after a position. Appends in this process wake them at once;
 * other processes append to the same file, so while anyone waits the head is polled.
 */
export class LiveWaiters {
  private readonly waiters = new Set<Waiter>();
  private pollTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly pollIntervalMs: number,
    private readonly readHead: () => number,
  ) {}

  /** Resolves once an event after `after` may exist, the signal aborts, or the store closes. */
  wait(after: number, signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted || this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const waiter: Waiter = {
        after,
        wake: () => {
          this.waiters.delete(waiter);
          signal?.removeEventListener('abort', waiter.wake);
          if (this.waiters.size === 0) this.stopPolling();
          resolve();
        },
      };
      this.waiters.add(waiter);
      signal?.addEventListener('abort', waiter.wake, { once: true });
      this.startPolling();
    });
  }

  /** Wakes every waiter behind `head` (all of them for this process's own appends). */
  wake(head = Number.MAX_SAFE_INTEGER): void {
    for (const waiter of [...this.waiters]) if (waiter.after < head) waiter.wake();
  }

  close(): void {
    this.closed = true;
    this.stopPolling();
    this.wake();
  }

  private startPolling(): void {
    if (this.pollTimer || this.closed) return;
    this.pollTimer = setInterval(() => {
      if (!this.closed) this.wake(this.readHead());
    }, this.pollIntervalMs);
    this.pollTimer.unref();
  }

  private stopPolling(): void {
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = undefined;
  }
}
