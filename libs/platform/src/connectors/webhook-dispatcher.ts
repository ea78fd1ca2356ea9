import { validSecrets } from '@custodian/domain';
import type { RecordedEvent } from '@custodian/event-store';
import { EVENT_STORE, type EventStore } from '@custodian/event-store';
import {
  ProjectionRunner,
  WEBHOOK_SOURCE_EVENT_TYPES,
  webhookMessage,
  type ConnectorDocument,
  type ProcessorDefinition,
  type ProcessorHandle,
  type WebhookSourceEvent,
} from '@custodian/projections';
import { findAllDocs, READ_STORE, type ReadStore } from '@custodian/read-store';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomInt } from 'node:crypto';
import { CLOCK, type Clock } from '../clock/clock';
import { CUSTODIAN_CONFIG } from '../config/config.module';
import type { CustodianConfig } from '../config/custodian-config';
import { ensureOutbox, newMessage, OUTBOX, type OutboxDocument } from './webhook-outbox';
import { sendWebhook, signatureHeader } from './webhook-sender';
import { WebhookSecrets } from './webhook-secrets';

const BATCH = 200;

/**
 * Webhook delivery. A processor on the log (`webhook-outbox`, durable checkpoint) turns each
 * event into one message per connector concerned, written to the outbox (insert-if-absent, so
 * a replay adds nothing). Then one queue per connector delivers its messages, one at a time, in
 * log order per customer: a failed message holds back only its customer's later ones, a failing
 * connector holds back only itself. Failures retry with exponential backoff and jitter for
 * `retryForMs` (24 h by default), then the message is dead-lettered with the reason. A
 * suspended connector's queue waits; reinstated, it resumes where it stopped.
 */
@Injectable()
export class WebhookDispatcher {
  private readonly logger = new Logger(WebhookDispatcher.name);
  private processor: ProcessorHandle | undefined;
  private readonly queues = new Map<string, ConnectorQueue>();
  private readonly feedWaiters = new Set<() => void>();
  private running = false;
  private scanner: NodeJS.Timeout | undefined;

  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Inject(READ_STORE) private readonly reads: ReadStore,
    private readonly runner: ProjectionRunner,
    private readonly secrets: WebhookSecrets,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CUSTODIAN_CONFIG) private readonly config: CustodianConfig,
  ) {}

  async start(checkpoint = 'reactor:webhook-outbox'): Promise<void> {
    await ensureOutbox(this.reads);
    this.processor = await this.runner.addProcessor(this.definition(), { checkpoint });
    if (this.config.projector !== 'in-process') return;
    this.running = true;
    // Queues for connectors with messages left from before a restart, and any registered since.
    const scan = () => void this.wakeAll().catch((e: Error) => this.logger.warn(e.message));
    scan();
    this.scanner = setInterval(scan, Math.max(this.config.webhooks.pollMs, 50));
    this.scanner.unref();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.scanner) clearInterval(this.scanner);
    await this.processor?.stop();
    await Promise.all([...this.queues.values()].map((q) => q.stop()));
    this.queues.clear();
    for (const wake of this.feedWaiters) wake();
  }

  /** Resolves when new messages may be in the outbox, or after `ms` (long-polling feeds). */
  waitForMessages(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.feedWaiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.feedWaiters.add(done);
      signal?.addEventListener('abort', done);
    });
  }

  /** Makes a connector's queue look again now (a redelivery, a reinstatement). */
  wake(connectorId: string): void {
    if (!this.running) return;
    this.queueFor(connectorId).wake();
  }

  private async wakeAll(): Promise<void> {
    if (!this.running) return;
    const connectors = await this.connectors();
    for (const c of connectors) if (c.webhook) this.queueFor(c.connectorId).wake();
  }

  private queueFor(connectorId: string): ConnectorQueue {
    let queue = this.queues.get(connectorId);
    if (!queue) {
      queue = new ConnectorQueue(connectorId, this);
      this.queues.set(connectorId, queue);
    }
    return queue;
  }

  async connectors(): Promise<ConnectorDocument[]> {
    return (await findAllDocs(
      this.reads,
      this.runner.collectionFor('connectors'),
    )) as ConnectorDocument[];
  }

  async connector(connectorId: string): Promise<ConnectorDocument | null> {
    return (await this.reads.get(
      this.runner.collectionFor('connectors'),
      connectorId,
    )) as ConnectorDocument | null;
  }

  private definition(): ProcessorDefinition {
    return {
      name: 'webhook-outbox',
      eventTypes: WEBHOOK_SOURCE_EVENT_TYPES,
      waitFor: ['connectors'],
      handle: async (events: readonly RecordedEvent[], ctx) => {
        const connectors = (await findAllDocs(
          this.reads,
          ctx.collectionFor('connectors'),
        )) as ConnectorDocument[];
        const writes = [];
        const touched = new Set<string>();
        for (const event of events) {
          for (const connector of connectors) {
            const message = webhookMessage(event as WebhookSourceEvent, connector);
            if (!message) continue;
            writes.push(
              newMessage(
                connector.connectorId,
                message.payload,
                message.orderKey,
                !!connector.webhook,
              ),
            );
            if (connector.webhook) touched.add(connector.connectorId);
          }
        }
        if (writes.length > 0) await this.reads.commit({ writes });
        for (const id of touched) this.wake(id);
        if (writes.length > 0) for (const wake of [...this.feedWaiters]) wake();
      },
    };
  }

  // ---- used by the queues ----

  get settings() {
    return this.config.webhooks;
  }

  now(): Date {
    return this.clock.now();
  }

  async pending(connectorId: string): Promise<OutboxDocument[]> {
    const page = await this.reads.find(OUTBOX, {
      where: { connectorId, status: 'pending' },
      sort: { field: 'position', direction: 'asc' },
      limit: BATCH,
    });
    return page.items.map((i) => i.doc as OutboxDocument);
  }

  async save(id: string, doc: OutboxDocument): Promise<void> {
    await this.reads.commit({ writes: [{ collection: OUTBOX, id, doc }] });
  }

  async attempt(connector: ConnectorDocument, message: OutboxDocument) {
    const keys = validSecrets(connector, this.now()).map((s) =>
      this.secrets.open(connector.connectorId, s),
    );
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = {
      'webhook-id': message.eventId,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signatureHeader(keys, message.eventId, timestamp, message.body),
    };
    return sendWebhook(connector.webhook!.url, headers, message.body, this.config.webhooks);
  }

  /** Exponential backoff with full jitter: a random wait up to base·2^(n-1), capped. */
  backoffMs(attempts: number): number {
    const { backoffBaseMs, backoffMaxMs } = this.config.webhooks;
    const ceiling = Math.min(backoffMaxMs, backoffBaseMs * 2 ** Math.min(attempts - 1, 30));
    return Math.max(1, Math.floor(ceiling / 2) + randomInt(Math.max(1, Math.ceil(ceiling / 2))));
  }

  log(message: string): void {
    this.logger.warn(message);
  }
}

/** One connector's deliveries: one at a time, in log order per customer. */
class ConnectorQueue {
  private loop: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly connectorId: string,
    private readonly dispatcher: WebhookDispatcher,
  ) {}

  wake(): void {
    if (this.stopped) return;
    if (this.loop) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.loop = this.run()
      .catch((e: Error) => this.dispatcher.log(`webhook queue ${this.connectorId}: ${e.message}`))
      .finally(() => {
        this.loop = undefined;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.loop;
  }

  private later(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.wake(), Math.max(1, ms));
    this.timer.unref();
  }

  private async run(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      const connector = await this.dispatcher.connector(this.connectorId);
      if (!connector?.webhook || connector.status !== 'active') return;
      const messages = await this.dispatcher.pending(this.connectorId);
      if (messages.length === 0) return;
      const held = new Set<string>();
      let sent = 0;
      let soonest = Infinity;
      for (const message of messages) {
        if (this.stopped) return;
        if (held.has(message.orderKey)) continue;
        const now = this.dispatcher.now();
        if (message.nextAttemptAt && message.nextAttemptAt > now.toISOString()) {
          held.add(message.orderKey);
          soonest = Math.min(soonest, Date.parse(message.nextAttemptAt) - now.getTime());
          continue;
        }
        // A suspension made while this pass runs stops it before the next send.
        const current = await this.dispatcher.connector(this.connectorId);
        if (current?.status !== 'active') return;
        const outcome = await this.dispatcher.attempt(current, message);
        sent++;
        const at = this.dispatcher.now();
        const attempts = message.attempts + 1;
        const first = message.firstAttemptAt ?? at.toISOString();
        const base = {
          ...message,
          attempts,
          firstAttemptAt: first,
          lastAttemptAt: at.toISOString(),
          lastStatus: outcome.status,
          lastError: outcome.note,
        };
        const id = `${message.connectorId}/${message.eventId}`;
        if (outcome.ok) {
          await this.dispatcher.save(id, {
            ...base,
            status: 'delivered',
            deliveredAt: at.toISOString(),
            nextAttemptAt: null,
          });
          continue;
        }
        const wait = this.dispatcher.backoffMs(attempts);
        const retryFor = this.dispatcher.settings.retryForMs;
        if (at.getTime() + wait - Date.parse(first) > retryFor) {
          await this.dispatcher.save(id, {
            ...base,
            status: 'dead',
            nextAttemptAt: null,
            deadReason: `gave up after ${attempts} attempt(s) over ${retryFor} ms: ${outcome.note ?? 'failed'}`,
          });
          continue;
        }
        await this.dispatcher.save(id, {
          ...base,
          nextAttemptAt: new Date(at.getTime() + wait).toISOString(),
        });
        held.add(message.orderKey);
        soonest = Math.min(soonest, wait);
      }
      if (sent === 0) {
        if (Number.isFinite(soonest)) this.later(soonest);
        return;
      }
    }
  }
}
