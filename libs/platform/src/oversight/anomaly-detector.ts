import { EVENT_STORE, type EventStore } from '@custodian/event-store';
import { ProjectionRunner, type ProcessorHandle } from '@custodian/projections';
import { READ_STORE, type ReadStore } from '@custodian/read-store';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { CommandExecutor } from '../commands/command-executor';
import { anomalyDetectorProcessor } from './anomaly-detector.processor';
import { recordAnomaly } from './record-anomaly';
import { SuspensionRegistry } from './suspension-registry';

/**
 * The anomaly detector, a processor on the projection runner: it waits until the anomaly
 * counters have applied each batch and appends the `AnomalyDetected` (and `ActorSuspended`)
 * events those events caused. Running it again over the same history, or over a rebuilt
 * counters projection, appends nothing twice.
 */
@Injectable()
export class AnomalyDetector {
  private readonly logger = new Logger(AnomalyDetector.name);
  private processor: ProcessorHandle | undefined;

  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Inject(READ_STORE) private readonly reads: ReadStore,
    private readonly runner: ProjectionRunner,
    private readonly suspensions: SuspensionRegistry,
    private readonly commands: CommandExecutor,
  ) {}

  /**
   * Hands the detector to the projection runner, which runs it where it runs the projections
   * (at once if they run in this process); `checkpoint` names where its progress is kept.
   */
  async start(checkpoint = 'reactor:anomaly-detector'): Promise<void> {
    const ports = {
      commands: this.commands,
      suspensions: this.suspensions,
      logger: this.logger,
    };
    this.processor = await this.runner.addProcessor(
      anomalyDetectorProcessor(this.reads, (counters, firing, cause) =>
        recordAnomaly(ports, counters, firing, cause),
      ),
      { checkpoint },
    );
  }

  async stop(): Promise<void> {
    await this.processor?.stop();
  }

  /** Where it has got to in the log. */
  checkpointPosition(): string | null {
    return this.processor?.status().position ?? null;
  }
}
