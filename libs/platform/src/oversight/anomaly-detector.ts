import {
  actorDecider,
  actorStream,
  type ActorSuspended,
  type AnomalyDetected,
} from '@custodian/domain';
import {
  deterministicEventId,
  EVENT_STORE,
  type EventStore,
  type RecordedEvent,
} from '@custodian/event-store';
import {
  batched,
  COUNTED_EVENT_TYPES,
  counterDocumentIds,
  ProjectionRunner,
  type AnomalyCountersDocument,
  type Firing,
} from '@custodian/projections';
import { READ_STORE, type ReadStore } from '@custodian/read-store';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { CommandExecutor, type CommandMeta } from '../commands/command-executor';
import { SuspensionRegistry } from './suspension-registry';

const COUNTED = new Set<string>(COUNTED_EVENT_TYPES);
const BATCH = 500;
const RETRY_MS = 1000;

/**
 * Turns the rules the anomaly counters crossed into `AnomalyDetected` events, and suspends the
 * actor when the rule says so. It follows the log from its own checkpoint, waits until the
 * counters have applied each batch, and emits the crossings those events caused. Event ids are
 * deterministic (rule, actor, role, window), so running it again over the same history, or a
 * rebuilt counters projection, appends nothing twice.
 */
@Injectable()
export class AnomalyDetector {
  private readonly logger = new Logger(AnomalyDetector.name);
  private controller: AbortController | undefined;
  private running: Promise<void> | undefined;
  private position: string | null = null;
  private sequence = 0;

  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Inject(READ_STORE) private readonly reads: ReadStore,
    private readonly runner: ProjectionRunner,
    private readonly suspensions: SuspensionRegistry,
    private readonly commands: CommandExecutor,
  ) {}

  /** Starts following the log; `checkpoint` names where its progress is kept. */
  async start(checkpoint = 'reactor:anomaly-detector'): Promise<void> {
    const stored = await this.reads.getCheckpoint(checkpoint);
    this.position = stored?.position ?? null;
    this.sequence = stored?.sequence ?? 0;
    this.controller = new AbortController();
    const signal = this.controller.signal;
    this.running = (async () => {
      while (!signal.aborted) {
        try {
          await this.follow(checkpoint, signal);
        } catch (error) {
          if (signal.aborted) break;
          this.logger.error(`anomaly detection stopped, retrying: ${(error as Error).message}`);
          await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.controller?.abort();
    await this.running;
  }

  /** Where it has got to in the log. */
  checkpointPosition(): string | null {
    return this.position;
  }

  private async follow(checkpoint: string, signal: AbortSignal): Promise<void> {
    const source = this.events.subscribeAll({ after: this.position ?? undefined, signal });
    for await (const batch of batched(source, BATCH, 20)) {
      if (batch.items.length === 0) continue;
      const counted = batch.items.filter((e) => COUNTED.has(e.type));
      if (counted.length > 0) await this.detect(counted, signal);
      if (signal.aborted) return;
      const last = batch.items[batch.items.length - 1];
      this.sequence += batch.items.length;
      await this.reads.commit({
        writes: [],
        checkpoint: { name: checkpoint, position: last.position, sequence: this.sequence },
      });
      this.position = last.position;
    }
  }

  private async detect(counted: RecordedEvent[], signal: AbortSignal): Promise<void> {
    // Stopping must not wait for a projection that may itself be stopping.
    const stopped = new Promise<void>((resolve) =>
      signal.addEventListener('abort', () => resolve(), { once: true }),
    );
    await Promise.race([
      this.runner.waitFor(counted[counted.length - 1].position, {
        name: 'anomaly_counters',
        timeoutMs: 60_000,
      }),
      stopped,
    ]);
    if (signal.aborted) return;
    const collection = this.runner.collectionFor('anomaly_counters');
    const ids = [...new Set(counted.flatMap((e) => counterDocumentIds(e)))];
    const docs = await this.reads.getMany(collection, ids);
    const causes = new Map(counted.map((e) => [e.id, e]));
    for (const doc of docs.values()) {
      const counters = doc as AnomalyCountersDocument;
      for (const firing of counters.firings) {
        const cause = causes.get(firing.eventId);
        if (cause) await this.emit(counters, firing, cause);
      }
    }
  }

  /** `cause`: the event that crossed the threshold; the anomaly belongs to its request. */
  private async emit(
    counters: AnomalyCountersDocument,
    firing: Firing,
    cause: RecordedEvent,
  ): Promise<void> {
    const meta: CommandMeta = {
      actor: { id: 'anomaly-detector', role: 'system' },
      requestId:
        typeof cause.metadata.correlationId === 'string'
          ? cause.metadata.correlationId
          : firing.anomalyId,
      causationId: cause.id,
      now: new Date(firing.detectedAt),
    };
    const anomaly: AnomalyDetected['data'] = {
      anomalyId: firing.anomalyId,
      ruleId: firing.ruleId,
      ruleSetVersion: firing.ruleSetVersion,
      description: firing.description,
      actorId: counters.actorId,
      role: counters.role,
      measure: firing.measure,
      window: counters.window,
      windowStart: counters.windowStart,
      windowEnd: counters.windowEnd,
      value: firing.value,
      threshold: firing.threshold,
      action: firing.action,
      detectedAt: firing.detectedAt,
    };
    // The anomaly's id is its event's: when the stream holds it, this firing was emitted before.
    const outcome = await this.commands.execute(
      actorStream(counters.actorId),
      actorDecider,
      { type: 'RecordAnomaly', anomaly },
      () => ({ now: meta.now }),
      meta,
      { eventIds: (i) => (i === 0 ? firing.anomalyId : deterministicEventId(firing.anomalyId, i)) },
    );
    if (outcome.replayed) return;
    const suspension = outcome.events.find((e) => e.type === 'ActorSuspended');
    if (suspension) {
      const { reason } = (suspension as unknown as ActorSuspended).data;
      this.suspensions.note(counters.actorId, { since: firing.detectedAt, reason });
      this.logger.warn(`suspended actor ${counters.actorId}: ${reason}`);
    }
  }
}
