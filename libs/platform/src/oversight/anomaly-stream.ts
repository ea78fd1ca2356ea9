import type { AnomalyDetected } from '@custodian/domain';
import { decodeEvent, EVENT_STORE, type EventStore, type Recorded } from '@custodian/event-store';
import { LogFanOut } from '@custodian/projections';
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Lifecycle } from '../lifecycle/lifecycle';

/**
 * New anomalies for the dashboards' live streams, from one subscription to the log whatever
 * the number of clients. A client resuming from an older position (Last-Event-ID) first reads
 * what it missed, then joins the shared subscription.
 */
@Injectable()
export class AnomalyStream implements OnApplicationShutdown {
  private readonly fanOut: LogFanOut;

  constructor(
    @Inject(EVENT_STORE) events: EventStore,
    private readonly lifecycle: Lifecycle,
  ) {
    this.fanOut = new LogFanOut(events, ['AnomalyDetected']);
  }

  /** `AnomalyDetected` events after `after` (without one: from now), until `signal` aborts. */
  async *follow(
    after: string | undefined,
    signal: AbortSignal,
  ): AsyncIterable<Recorded<AnomalyDetected>> {
    for await (const event of this.fanOut.follow(after, signal))
      yield decodeEvent(event) as Recorded<AnomalyDetected>;
  }

  /** Clients following, and subscriptions opened for them so far. */
  stats(): { readers: number; subscriptionsOpened: number; open: boolean } {
    return this.fanOut.stats();
  }

  async onApplicationShutdown(): Promise<void> {
    // The streams end on `lifecycle.stopping`; this closes whatever is left.
    await this.lifecycle.step('oversight: close the anomaly streams', () => this.fanOut.stop());
  }
}
