import {
  Global,
  Inject,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { CUSTODIAN_CONFIG } from '../config/config.module';
import type { CustodianConfig } from '../config/custodian-config';
import { Lifecycle } from '../lifecycle/lifecycle';
import { ActorLimits } from './actor-limits';
import { AnomalyDetector } from './anomaly-detector';
import { AnomalyStream } from './anomaly-stream';
import { SuspensionRegistry } from './suspension-registry';

/**
 * Containment: the suspended actors every request is checked against, the limits checked
 * before reads and erasures, the anomaly detector, which runs where the projections run, and
 * the live stream of anomalies.
 */
@Global()
@Module({
  providers: [SuspensionRegistry, AnomalyDetector, AnomalyStream, ActorLimits],
  exports: [SuspensionRegistry, AnomalyDetector, AnomalyStream, ActorLimits],
})
export class OversightModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    private readonly detector: AnomalyDetector,
    private readonly suspensions: SuspensionRegistry,
    @Inject(CUSTODIAN_CONFIG) private readonly config: CustodianConfig,
    private readonly lifecycle: Lifecycle,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.lifecycle.step('oversight: load suspensions', () => this.suspensions.refresh());
    // The runner runs it only where the projections run; elsewhere /health reports its lag.
    const step =
      this.config.projector === 'in-process'
        ? 'oversight: start the anomaly detector'
        : 'oversight: register the anomaly detector (the projector runs it)';
    await this.lifecycle.step(step, () => this.detector.start());
  }

  async onApplicationShutdown(): Promise<void> {
    await this.lifecycle.step('oversight: stop the anomaly detector', () => this.detector.stop());
  }
}
