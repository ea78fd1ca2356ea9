import { notFound, DomainError, WEBHOOK_EVENT_TYPES } from '@custodian/domain';
import {
  badParam,
  CurrentActor,
  deliveryView,
  OUTBOX,
  OUTBOX_STATUSES,
  outboxId,
  RequirePermission,
  WebhookDispatcher,
  type OutboxDocument,
  type RequestActor,
} from '@custodian/platform';
import type { WebhookPayload } from '@custodian/projections';
import { READ_STORE, type ReadStore, type WhereValue } from '@custodian/read-store';
import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ConnectorIdParam, pageLimit, single } from './connectors.controller';
import { RedeliveryDto } from './connectors.dto';
import { ConnectorsService } from './connectors.service';

const POSITION = /^\d{20}(\/\d{20})?$/;
const MAX_WAIT_S = 60;

/** Delivery attempts of a connector's webhooks, and redelivery by a DPO or admin. */
@Controller('v1/connectors/:connectorId')
export class DeliveriesController {
  constructor(
    private readonly connectors: ConnectorsService,
    private readonly dispatcher: WebhookDispatcher,
    @Inject(READ_STORE) private readonly reads: ReadStore,
  ) {}

  @Get('deliveries')
  @RequirePermission('connectors.deliveries')
  async list(
    @Param('connectorId', ConnectorIdParam) connectorId: string,
    @Query('status') status?: string,
    @Query('limit') limit?: string,
    @Query('cursor') cursor?: string,
  ) {
    status = single(status, 'status');
    cursor = single(cursor, 'cursor');
    if (status !== undefined && !(OUTBOX_STATUSES as readonly string[]).includes(status))
      throw badParam('status', `must be one of ${OUTBOX_STATUSES.join(', ')}`);
    if (cursor !== undefined && !POSITION.test(cursor))
      throw badParam('cursor', 'must be a nextCursor from a previous page');
    await this.connectors.get(connectorId);
    const where: Record<string, WhereValue> = { connectorId };
    if (status) where.status = status;
    if (cursor) where.position = { gt: cursor };
    const page = await this.reads.find(OUTBOX, {
      where,
      sort: { field: 'position', direction: 'asc' },
      limit: pageLimit(limit) ?? 100,
    });
    const items = page.items.map((i) => deliveryView(i.doc as OutboxDocument));
    return {
      items,
      nextCursor: page.nextCursor && items.length > 0 ? items[items.length - 1].position : null,
    };
  }

  /** One event again (`eventId`), or every message of a range of positions (inclusive). */
  @Post('redeliveries')
  @HttpCode(202)
  @RequirePermission('connectors.deliveries')
  async redeliver(
    @Param('connectorId', ConnectorIdParam) connectorId: string,
    @Body() body: RedeliveryDto,
  ) {
    const byEvent = body.eventId !== undefined;
    const byRange = body.fromPosition !== undefined || body.toPosition !== undefined;
    if (byEvent === byRange)
      throw badParam('eventId', 'give either eventId or fromPosition and toPosition');
    if (byRange && (body.fromPosition === undefined || body.toPosition === undefined))
      throw badParam(
        body.fromPosition === undefined ? 'fromPosition' : 'toPosition',
        'is required for a range',
      );
    if (byRange && body.fromPosition! > body.toPosition!)
      throw badParam('toPosition', 'must not be before fromPosition');
    const connector = await this.connectors.get(connectorId);
    if (!connector.webhook)
      throw new DomainError(
        'conflict',
        'connectorId',
        'the connector has no webhook; it reads its feed',
      );
    let docs: OutboxDocument[];
    if (byEvent) {
      const doc = (await this.reads.get(
        OUTBOX,
        outboxId(connectorId, body.eventId!.toLowerCase()),
      )) as OutboxDocument | null;
      if (!doc) throw notFound('eventId', 'no message of this connector has that event id');
      docs = [doc];
    } else {
      docs = [];
      let cursor: string | undefined;
      do {
        const page = await this.reads.find(OUTBOX, {
          where: { connectorId, position: { gte: body.fromPosition!, lte: body.toPosition! } },
          sort: { field: 'position', direction: 'asc' },
          limit: 1000,
          cursor,
        });
        docs.push(...page.items.map((i) => i.doc as OutboxDocument));
        cursor = page.nextCursor ?? undefined;
      } while (cursor && docs.length < 100_000);
    }
    const writes = docs.map((doc) => ({
      collection: OUTBOX,
      id: outboxId(doc.connectorId, doc.eventId),
      doc: {
        ...doc,
        status: 'pending' as const,
        firstAttemptAt: null,
        nextAttemptAt: null,
        deadReason: null,
      },
    }));
    for (let i = 0; i < writes.length; i += 500)
      await this.reads.commit({ writes: writes.slice(i, i + 500) });
    this.dispatcher.wake(connectorId);
    return { connectorId, redelivering: docs.length };
  }
}

/**
 * The change feed: the same messages, in the same order, as the connector's webhooks, pulled
 * with the connector's own key. Long-polls up to `wait` seconds when there is nothing new.
 */
@Controller('v1/feed')
export class FeedController {
  constructor(
    private readonly dispatcher: WebhookDispatcher,
    @Inject(READ_STORE) private readonly reads: ReadStore,
  ) {}

  @Get()
  @RequirePermission('feed.read')
  async read(
    @CurrentActor() actor: RequestActor,
    @Query('after') after?: string,
    @Query('types') types?: string,
    @Query('wait') wait?: string,
    @Query('limit') limit?: string,
  ): Promise<{ items: WebhookPayload[]; nextCursor: string | null }> {
    after = single(after, 'after');
    types = single(types, 'types');
    wait = single(wait, 'wait');
    if (after !== undefined && !POSITION.test(after))
      throw badParam('after', 'must be a nextCursor (or an item position) from this feed');
    const wanted = types === undefined ? null : new Set(types.split(','));
    if (wanted)
      for (const type of wanted)
        if (!(WEBHOOK_EVENT_TYPES as readonly string[]).includes(type))
          throw badParam(
            'types',
            `must be a comma-separated list of ${WEBHOOK_EVENT_TYPES.join(', ')}`,
          );
    if (wait !== undefined && (!/^\d{1,2}$/.test(wait) || Number(wait) > MAX_WAIT_S))
      throw badParam('wait', `must be an integer number of seconds from 0 to ${MAX_WAIT_S}`);
    const max = pageLimit(limit) ?? 100;
    const connectorId = actor.connectorId;
    if (!connectorId) throw badParam('Authorization', 'the feed is read with a connector key');
    const deadline = Date.now() + Number(wait ?? 0) * 1000;
    for (;;) {
      const page = await this.page(connectorId, after ?? null, wanted, max);
      if (page.items.length > 0 || Date.now() >= deadline) return page;
      if (page.nextCursor) after = page.nextCursor;
      await this.dispatcher.waitForMessages(Math.min(1000, deadline - Date.now()));
    }
  }

  private async page(
    connectorId: string,
    after: string | null,
    wanted: Set<string> | null,
    max: number,
  ) {
    const items: WebhookPayload[] = [];
    let cursor = after;
    for (let scanned = 0; items.length < max && scanned < 10_000;) {
      const where: Record<string, WhereValue> = { connectorId };
      if (cursor) where.position = { gt: cursor };
      if (wanted?.size === 1) where.type = [...wanted][0];
      const page = await this.reads.find(OUTBOX, {
        where,
        sort: { field: 'position', direction: 'asc' },
        limit: Math.min(1000, max - items.length),
      });
      for (const item of page.items) {
        const doc = item.doc as OutboxDocument;
        cursor = doc.position;
        if (!wanted || wanted.has(doc.type)) items.push(JSON.parse(doc.body) as WebhookPayload);
      }
      scanned += page.items.length;
      if (!page.nextCursor) break;
    }
    return { items, nextCursor: cursor };
  }
}
