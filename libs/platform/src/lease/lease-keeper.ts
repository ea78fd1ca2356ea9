import type { Lease, ReadStore } from '@custodian/read-store';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

export interface LeaseKeeperOptions {
  /** The lease's name in the read store. */
  name: string;
  /** How long the lease lasts unless renewed. */
  ttlMs: number;
  /** How often it is renewed (or, while another holds it, asked for); default a third of `ttlMs`. */
  renewMs?: number;
  /** Who this process is; default `processHolderId()`. */
  holder?: string;
  /** Called once each time this process takes the lease. */
  onAcquired?: () => void;
  /** Called once each time this process stops holding it (lost, expired unrenewed, or released). */
  onLost?: () => void;
  log?: (message: string) => void;
}

/**
 * This process's name as a lease holder: `<host>/<pid>/<random>`. The host and pid let a
 * process on the same host see that a holder is dead before its lease expires; the random
 * part tells a restarted process with a reused pid from its predecessor.
 */
export function processHolderId(): string {
  return `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
}

/**
 * True if `holder` names a process on this host that no longer runs: its pid is gone, or is
 * this very process under another holder id (a predecessor in a container restarted with the
 * same pid). A holder on another host is never judged here: its lease must expire.
 */
export function isDeadOnThisHost(holder: string, self: string): boolean {
  const [host, pidText] = holder.split('/');
  const pid = Number(pidText);
  if (holder === self || host !== hostname() || !Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Keeps a lease in the read store: asks for it at `start` and every `renewMs` (a heartbeat
 * while held), takes it over at once from a holder on this host whose process is gone, and
 * gives it up at `stop`. `held` is true only while the lease, as last renewed, has not expired
 * by this process's clock: a holder that cannot reach the store stops counting itself the
 * holder when its last renewal runs out, which is when another may take it.
 */
export class LeaseKeeper {
  readonly holder: string;
  private readonly renewMs: number;
  private timer: NodeJS.Timeout | undefined;
  private expiresAt = 0;
  private holding = false;
  private ticking: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly reads: ReadStore,
    private readonly options: LeaseKeeperOptions,
  ) {
    this.holder = options.holder ?? processHolderId();
    this.renewMs = options.renewMs ?? Math.max(100, Math.floor(options.ttlMs / 3));
  }

  get name(): string {
    return this.options.name;
  }

  get held(): boolean {
    return this.holding && Date.now() < this.expiresAt;
  }

  /** Asks for the lease once (awaited), then keeps asking or renewing on a timer. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.tick();
    this.timer = setInterval(() => void this.tick(), this.renewMs);
    this.timer.unref();
  }

  /** Stops renewing and releases the lease if held, so another process takes it at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking;
    if (!this.holding) return;
    this.setHolding(false);
    try {
      await this.reads.releaseLease(this.options.name, this.holder);
    } catch (error) {
      this.options.log?.(`could not release lease ${this.options.name}: ${describe(error)}`);
    }
  }

  /** The lease as stored (null if never taken or just released). */
  current(): Promise<Lease | null> {
    return this.reads.getLease(this.options.name);
  }

  /** One ask or renewal; exposed for tests. */
  tick(): Promise<void> {
    this.ticking ??= this.askOnce().finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  private async askOnce(): Promise<void> {
    if (this.stopped) return;
    const { name, ttlMs } = this.options;
    try {
      const now = Date.now();
      let lease = await this.reads.acquireLease({ name, holder: this.holder, ttlMs, now });
      if (lease.holder !== this.holder && isDeadOnThisHost(lease.holder, this.holder)) {
        this.options.log?.(`lease ${name}: its holder ${lease.holder} is gone; taking it over`);
        lease = await this.reads.acquireLease({
          name,
          holder: this.holder,
          ttlMs,
          now,
          takeOverFrom: lease.holder,
        });
      }
      if (this.stopped) return;
      if (lease.holder === this.holder) {
        this.expiresAt = lease.expiresAt;
        this.setHolding(true);
      } else {
        this.setHolding(false);
      }
    } catch (error) {
      this.options.log?.(`lease ${name}: could not reach the store: ${describe(error)}`);
      // Held until the last renewal runs out, then not.
      if (this.holding && Date.now() >= this.expiresAt) this.setHolding(false);
    }
  }

  private setHolding(holding: boolean): void {
    if (holding === this.holding) return;
    this.holding = holding;
    if (holding) {
      this.options.log?.(`lease ${this.options.name}: held by this process (${this.holder})`);
      this.options.onAcquired?.();
    } else {
      this.options.log?.(`lease ${this.options.name}: no longer held by this process`);
      this.options.onLost?.();
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error';
}
