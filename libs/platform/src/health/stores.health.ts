import { EVENT_STORE, EventStore } from '@custodian/event-store';
import { ProjectionRunner } from '@custodian/projections';
import { READ_STORE, ReadStore } from '@custodian/read-store';
import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { CUSTODIAN_CONFIG } from '../config/config.module';
import type { CustodianConfig } from '../config/custodian-config';
import { PROJECTOR_LEASE } from '../lease/projector-heartbeat';
import { leaseState, SingletonLease } from '../lease/singleton-lease';

/**
 * Liveness (the process answers) and readiness: both stores answer, no projection has failed
 * and none is further behind the log than the configured bounds; processors are reported.
 */
@Injectable()
export class StoresHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Inject(READ_STORE) private readonly reads: ReadStore,
    private readonly runner: ProjectionRunner,
    @Inject(CUSTODIAN_CONFIG) private readonly config: CustodianConfig,
    private readonly singleton: SingletonLease,
  ) {}

  /** No I/O: answering at all is the check. */
  process() {
    return this.health
      .check('process')
      .up({ pid: process.pid, uptimeSeconds: Math.round(process.uptime()) });
  }

  async eventStore() {
    const indicator = this.health.check('eventStore');
    try {
      await this.events.ping();
      return indicator.up({ adapter: this.config.eventStore.kind });
    } catch (error) {
      return indicator.down({ adapter: this.config.eventStore.kind, message: describe(error) });
    }
  }

  async readStore() {
    const indicator = this.health.check('readStore');
    try {
      await this.reads.ping();
      return indicator.up({ adapter: this.config.readStore.kind });
    } catch (error) {
      return indicator.down({ adapter: this.config.readStore.kind, message: describe(error) });
    }
  }

  /**
   * Each projection's and processor's state and lag. A failed projection, or one further
   * behind the log than `readiness.maxLagEvents` events or whose oldest unapplied event has
   * waited longer than `readiness.maxLagMs`, makes the service unready (its reads would be
   * stale). Lag comes from the stored checkpoints, so where `apps/projector` runs them this
   * also catches a projector that died or stalls: the first write after it stops ages until
   * the bound is crossed. A processor retrying or holding dead letters is reported (state,
   * retries, error, deadLetters) without that: the reads are not wrong, and taking the service
   * out would not help the effect along.
   */
  async projections() {
    const indicator = this.health.check('projections');
    try {
      const [lag, processorLag] = await Promise.all([
        this.runner.lag(),
        this.runner.processorLag(),
      ]);
      const runsHere = this.config.projector === 'in-process';
      // Another process runs them: report lag from the stored checkpoints, not local state.
      const status = runsHere ? this.runner.status() : [];
      const projections = runsHere
        ? status.map((s) => ({ ...s, ...lag.find((l) => l.name === s.name) }))
        : lag;
      const processors = runsHere
        ? this.runner
            .processorStatus()
            .map((s) => ({ ...s, ...processorLag.find((l) => l.checkpoint === s.checkpoint) }))
        : processorLag;
      const { maxLagEvents, maxLagMs } = this.config.readiness;
      const failed = status.filter((s) => s.state === 'failed').map((s) => s.name);
      const behind = lag
        .filter((l) => l.eventsBehind > maxLagEvents || l.secondsBehind * 1000 > maxLagMs)
        .map((l) => l.name);
      const details = {
        runsHere,
        bounds: { maxLagEvents, maxLagMs },
        projections,
        processors,
        ...(failed.length > 0 ? { failed } : {}),
        ...(behind.length > 0 ? { behind } : {}),
      };
      return failed.length > 0 || behind.length > 0
        ? indicator.down(details)
        : indicator.up(details);
    } catch (error) {
      return indicator.down({ message: describe(error) });
    }
  }

  /**
   * The leases: the singleton lease must be held by a live process (this one or another), or
   * the deployment's sweeps run nowhere; where `apps/projector` runs the projections
   * (`CUSTODIAN_PROJECTOR=off` here), its heartbeat must be live too. Each is shown with its
   * holder and expiry.
   */
  async leases() {
    const indicator = this.health.check('leases');
    try {
      const singleton = await this.singleton.state();
      const projector =
        this.config.projector === 'in-process'
          ? undefined
          : leaseState(await this.reads.getLease(PROJECTOR_LEASE));
      const details = {
        ttlMs: this.config.leaseTtlMs,
        singleton,
        ...(projector ? { projector: { ...projector, name: PROJECTOR_LEASE } } : {}),
      };
      const down: string[] = [];
      if (!singleton.live) down.push('no live process holds the singleton lease');
      if (projector && !projector.live)
        down.push('the projector runs in another process and its heartbeat is stale or missing');
      return down.length > 0
        ? indicator.down({ ...details, problems: down })
        : indicator.up(details);
    } catch (error) {
      return indicator.down({ message: describe(error) });
    }
  }
}

/** Error class and message only: store errors never carry personal values. */
function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error';
}
