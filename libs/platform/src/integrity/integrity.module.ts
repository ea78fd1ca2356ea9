import { ProjectionRunner, type ProcessorHandle } from '@custodian/projections';
import {
  Global,
  Inject,
  Injectable,
  Logger,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { CLOCK, type Clock } from '../clock/clock';
import { CUSTODIAN_CONFIG } from '../config/config.module';
import type { CustodianConfig } from '../config/custodian-config';
import { Lifecycle } from '../lifecycle/lifecycle';
import { checkpointerProcessor } from './checkpointer.processor';
import { integritySigningKeyProvider, LogIntegrity } from './log-integrity';

/**
 * Runs the checkpointer where the projections run: the processor seals every full range, and a
 * timer seals the rest now and then, so a quiet log is not left unsealed for long.
 */
@Injectable()
export class IntegrityCheckpointer {
  private readonly logger = new Logger('Integrity');
  private processor: ProcessorHandle | undefined;
  private timer: NodeJS.Timeout | undefined;
  private sealing: Promise<unknown> | undefined;
  private readonly stopping = new AbortController();

  constructor(
    private readonly integrity: LogIntegrity,
    private readonly runner: ProjectionRunner,
    @Inject(CUSTODIAN_CONFIG) private readonly config: CustodianConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async start(): Promise<void> {
    const { checkpointEvery, checkpointIntervalMs } = this.config.integrity;
    this.processor = await this.runner.addProcessor(
      checkpointerProcessor(this.integrity.sealer, checkpointEvery, () => this.clock.now()),
    );
    if (this.config.projector !== 'in-process' || checkpointIntervalMs === 0) return;
    this.timer = setInterval(() => {
      this.sealing ??= this.integrity
        .sealNow(true, this.stopping.signal)
        .catch((error: unknown) =>
          this.logger.error(`sealing the log's tail failed: ${(error as Error).message}`),
        )
        .finally(() => (this.sealing = undefined));
    }, checkpointIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.stopping.abort();
    await this.sealing;
    await this.processor?.stop();
  }
}

/** Tamper evidence: signed checkpoints over the log, and their verification. */
@Global()
@Module({
  providers: [integritySigningKeyProvider, LogIntegrity, IntegrityCheckpointer],
  exports: [LogIntegrity],
})
export class IntegrityModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    private readonly checkpointer: IntegrityCheckpointer,
    private readonly lifecycle: Lifecycle,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.lifecycle.step('integrity: start the checkpointer', () => this.checkpointer.start());
  }

  async onApplicationShutdown(): Promise<void> {
    await this.lifecycle.step('integrity: stop the checkpointer', () => this.checkpointer.stop());
  }
}
