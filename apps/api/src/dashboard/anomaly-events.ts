import {
  AnomalyStream,
  badParam,
  CLOCK,
  Lifecycle,
  SuspensionRegistry,
  type Clock,
} from '@custodian/platform';
import { Inject, Injectable, type MessageEvent } from '@nestjs/common';
import { Observable } from 'rxjs';

const POSITION = /^[0-9]{1,20}(\/[0-9]{1,20})?$/;
const HEARTBEAT_MS = 15_000;

/**
 * New anomalies as server-sent events for one actor, shared by the dashboard's stream (bearer
 * token) and the compliance console's (session cookie): `event: anomaly` with the log position
 * as id, so a client reconnecting with Last-Event-ID misses nothing; a heartbeat every 15
 * seconds. Every client is served from one shared subscription to the log. The stream ends
 * when the app stops, and the moment its actor is suspended.
 */
@Injectable()
export class AnomalyEvents {
  constructor(
    private readonly anomalyStream: AnomalyStream,
    private readonly lifecycle: Lifecycle,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly suspensions: SuspensionRegistry,
  ) {}

  /** Checks Last-Event-ID (a 400 naming it when malformed) and opens the stream. */
  follow(actorId: string, lastEventId: string | undefined): Observable<MessageEvent> {
    if (lastEventId !== undefined && !POSITION.test(lastEventId))
      throw badParam('Last-Event-ID', 'must be the id of an event this stream sent');
    return new Observable<MessageEvent>((subscriber) => {
      const controller = new AbortController();
      // A stopping app ends its streams, so the connection closes instead of holding the stop.
      const end = () => subscriber.complete();
      this.lifecycle.stopping.addEventListener('abort', end, { once: true });
      // A suspended actor hears nothing more: the stream ends and the connection closes.
      const unwatch = this.suspensions.watch(actorId, () => {
        controller.abort();
        subscriber.complete();
      });
      void (async () => {
        // Without Last-Event-ID: from now on.
        for await (const event of this.anomalyStream.follow(lastEventId, controller.signal)) {
          subscriber.next({
            id: event.position,
            type: 'anomaly',
            data: event.data,
          });
        }
      })().catch((error: unknown) => {
        if (!controller.signal.aborted) subscriber.error(error);
      });
      const heartbeat = setInterval(
        () => subscriber.next({ type: 'heartbeat', data: { at: this.clock.now().toISOString() } }),
        HEARTBEAT_MS,
      );
      return () => {
        clearInterval(heartbeat);
        unwatch();
        this.lifecycle.stopping.removeEventListener('abort', end);
        controller.abort();
      };
    });
  }
}
