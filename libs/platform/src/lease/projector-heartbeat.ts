import { READ_STORE, type ReadStore } from '@custodian/read-store';
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

/** The lease `apps/projector` renews as its heartbeat. */
export const PROJECTOR_LEASE = 'projector';

/**
 * The projector's heartbeat: `apps/projector` holds the `projector` lease and renews it every
 * third of `CUSTODIAN_LEASE_TTL_MS`. An API running with `CUSTODIAN_PROJECTOR=off` is ready only
 * while that lease is live: a projector that died (or hangs) stops renewing, and readiness fails
 * within the lease's time to live, before the lag bounds would notice on a quiet log.
 */
@Injectable()
export class ProjectorHeartbeat implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ProjectorHeartbeat');
  readonly keeper: LeaseKeeper;

  constructor(
    @Inject(READ_STORE) reads: ReadStore,
    @Inject(CUSTODIAN_CONFIG) config: CustodianConfig,
    private readonly lifecycle: Lifecycle,
  ) {
    this.keeper = new LeaseKeeper(reads, {
      name: PROJECTOR_LEASE,
      ttlMs: config.leaseTtlMs,
      log: (message) => this.logger.log(message),
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.lifecycle.step('projector: start the heartbeat', () => this.keeper.start());
    if (!this.keeper.held) {
      const other = await this.keeper.current();
      this.logger.warn(
        `another projector (${other?.holder ?? 'unknown'}) holds the heartbeat; this one takes it when that one stops`,
      );
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.lifecycle.step('projector: stop the heartbeat', () => this.keeper.stop());
  }
}
