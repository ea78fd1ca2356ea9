/** One append's outcome inside a group: its own result, or its own refusal. */
export type Outcome<R> = { result: R } | { error: Error };

interface Pending<T, R> {
  item: T;
  resolve(result: R): void;
  reject(error: unknown): void;
}

/**
 * Group commit: what arrives in one turn of the event loop is committed together (one
 * transaction, one fsync). `commit` returns each item's own outcome, or throws to fail the
 * whole group with `failAll(error)`'s error.
 */
export class GroupCommit<T, R> {
  private queue: Pending<T, R>[] = [];
  private scheduled = false;

  constructor(
    private readonly commit: (items: T[]) => Outcome<R>[],
    private readonly failAll: (error: unknown) => Error,
    /** Runs once a committed group's appends have been answered. */
    private readonly committed: () => void = () => undefined,
  ) {}

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits what is queued now (a closing store does not leave appends unanswered). */
  flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    let outcomes: Outcome<R>[];
    try {
      outcomes = this.commit(batch.map((p) => p.item));
    } catch (error) {
      const failure = this.failAll(error);
      for (const pending of batch) pending.reject(failure);
      return;
    }
    outcomes.forEach((outcome, i) => {
      if ('result' in outcome) batch[i].resolve(outcome.result);
      else batch[i].reject(outcome.error);
    });
    this.committed();
  }
}
