import { READ_STORE, type Lease, type ReadStore } from '@custodian/read-store';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { CUSTODIAN_CONFIG } from '../config/config.module';
import type { CustodianConfig } from '../config/custodian-config';
import { Lifecycle } from '../lifecycle/lifecycle';
import { LeaseKeeper } from './lease-keeper';

/** The lease the deployment's singleton work runs under. */
export const SINGLETON_LEASE = 'singleton';

/** Background work that must run in exactly one process of a deployment. */
export interface SingletonTask {
  /** Named in logs and in the stop sequence. */
  name: string;
  /** Run as soon as this process takes the lease (and at start-up if it takes it then). */
  atAcquire?: boolean;
  /** Run every this many ms while the lease is held; 0 or absent: never on a timer. */
  everyMs?: number;
  /**
   * The work. `signal` aborts when this process loses the lease or begins to stop: long work
   * should stop at the next safe point and leave the rest to the next holder.
   */
  run(signal: AbortSignal): Promise<unknown>;
}

export interface SingletonLeaseState {
  name: string;
  /** Whether some process holds it now (its last renewal has not expired). */
  live: boolean;
  holder: string | null;
  heldHere: boolean;
  acquiredAt: string | null;
  expiresAt: string | null;
}

/**
 * Runs registered `SingletonTask`s in exactly one process of the deployment: the one holding
 * the `singleton` lease in the read store (every API process competes for it; the first to ask
 * gets it and renews it every third of `CUSTODIAN_LEASE_TTL_MS`). When the holder stops, it
 * releases the lease; when it dies, the lease expires (or, on the same host, is taken over at
 * once) and another process takes it and runs the tasks that run at acquisition.
 *
 * Register in a constructor or `onModuleInit` (before the application bootstraps):
 * `lease.register({ name: 'exports: purge', atAcquire: true, everyMs: 600_000, run })`.
 */
@Injectable()
export class SingletonLease implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('SingletonLease');
  private readonly keeper: LeaseKeeper;
  private readonly tasks: SingletonTask[] = [];
  private readonly running = new Map<SingletonTask, Promise<void>>();
  private timers: NodeJS.Timeout[] = [];
  private tenure: AbortController | undefined;

  constructor(
    @Inject(READ_STORE) reads: ReadStore,
    @Inject(CUSTODIAN_CONFIG) config: CustodianConfig,
    private readonly lifecycle: Lifecycle,
  ) {
    this.keeper = new LeaseKeeper(reads, {
      name: SINGLETON_LEASE,
      ttlMs: config.leaseTtlMs,
      onAcquired: () => this.acquired(),
      onLost: () => this.lost(),
      log: (message) => this.logger.log(message),
    });
  }

  get holder(): string {
    return this.keeper.holder;
  }

  /** True while this process holds the lease. */
  isHeld(): boolean {
    return this.keeper.held;
  }

  register(task: SingletonTask): void {
    this.tasks.push(task);
  }

  /** Runs `task` now if this process holds the lease (one run of a task at a time); else nothing. */
  runNow(task: SingletonTask): Promise<void> {
    if (!this.isHeld() || !this.tenure) return Promise.resolve();
    return this.runTask(task, this.tenure.signal);
  }

  async state(): Promise<SingletonLeaseState> {
    return leaseState(await this.keeper.current(), this.holder);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.lifecycle.step('singleton: ask for the lease', () => this.keeper.start());
  }

  async onApplicationShutdown(): Promise<void> {
    this.lost();
    await this.lifecycle.step(`singleton: ${this.running.size} task(s) running`, () =>
      Promise.allSettled(this.running.values()),
    );
    await this.lifecycle.step('singleton: release the lease', () => this.keeper.stop());
  }

  private acquired(): void {
    const tenure = new AbortController();
    this.tenure = tenure;
    const signal = AbortSignal.any([tenure.signal, this.lifecycle.stopping]);
    this.logger.log(
      `singleton work runs in this process (${this.holder}): ${this.tasks.map((t) => t.name).join(', ') || 'none registered'}`,
    );
    for (const task of this.tasks) {
      if (task.atAcquire) void this.runTask(task, signal);
      if (task.everyMs && task.everyMs > 0) {
        const timer = setInterval(() => void this.runTask(task, signal), task.everyMs);
        timer.unref();
        this.timers.push(timer);
      }
    }
  }

  private lost(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    this.tenure?.abort();
    this.tenure = undefined;
  }

  private runTask(task: SingletonTask, signal: AbortSignal): Promise<void> {
    const already = this.running.get(task);
    if (already) return already;
    if (signal.aborted || !this.isHeld()) return Promise.resolve();
    const run = task
      .run(signal)
      .then(
        () => undefined,
        (error: unknown) =>
          this.logger.error(`${task.name} failed: ${(error as Error)?.message ?? String(error)}`),
      )
      .finally(() => this.running.delete(task));
    this.running.set(task, run);
    return run;
  }
}

export function leaseState(lease: Lease | null, self?: string): SingletonLeaseState {
  const live = lease !== null && lease.expiresAt > Date.now();
  return {
    name: lease?.name ?? SINGLETON_LEASE,
    live,
    holder: lease?.holder ?? null,
    heldHere: live && lease?.holder === self,
    acquiredAt: lease ? new Date(lease.acquiredAt).toISOString() : null,
    expiresAt: lease ? new Date(lease.expiresAt).toISOString() : null,
  };
}
