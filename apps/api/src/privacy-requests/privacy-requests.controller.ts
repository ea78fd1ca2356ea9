import { PRIVACY_REQUEST_KINDS } from '@custodian/domain';
import {
  badParam,
  CLOCK,
  CurrentActor,
  RequirePermission,
  UuidParam,
  type Clock,
  type RequestActor,
} from '@custodian/platform';
import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { FastifyRequest } from 'fastify';
import { pageLimit } from '../oversight/oversight.controller';
import { commandMeta } from '../shared/request-meta';
import {
  ActOnPrivacyRequestCommand,
  OpenPrivacyRequestCommand,
  type PrivacyRequestAction,
} from './privacy-request.commands';
import {
  CompletePrivacyRequestDto,
  OpenPrivacyRequestDto,
  PrivacyRequestReasonDto,
  VerifyPrivacyRequestDto,
} from './privacy-requests.dto';
import {
  PRIVACY_REQUEST_FILTERS,
  PrivacyRequestsService,
  type PrivacyRequestFilter,
} from './privacy-requests.service';

/** Data subjects' requests as cases on the legal clocks (152-FZ, GDPR). */
@Controller('v1')
export class PrivacyRequestsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly requests: PrivacyRequestsService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Post('privacy-requests')
  @RequirePermission('privacy-requests.open')
  async open(
    @Body() dto: OpenPrivacyRequestDto,
    @CurrentActor() actor: RequestActor,
    @Req() request: FastifyRequest,
  ) {
    return this.commands.execute(
      new OpenPrivacyRequestCommand(dto, commandMeta(this.clock, request, actor)),
    );
  }

  @Get('privacy-requests')
  @RequirePermission('privacy-requests.read')
  async list(
    @Query('status') status?: string,
    @Query('kind') kind?: string,
    @Query('limit') limit?: string,
    @Query('cursor') cursor?: string,
  ) {
    if (status !== undefined && !(PRIVACY_REQUEST_FILTERS as readonly string[]).includes(status))
      throw badParam('status', `must be one of ${PRIVACY_REQUEST_FILTERS.join(', ')}`);
    if (kind !== undefined && !(PRIVACY_REQUEST_KINDS as readonly string[]).includes(kind))
      throw badParam('kind', `must be one of ${PRIVACY_REQUEST_KINDS.join(', ')}`);
    if (cursor !== undefined && !/^[A-Za-z0-9_=+/-]{1,512}$/.test(cursor))
      throw badParam('cursor', 'must be the nextCursor of a previous page');
    return this.requests.list(
      { status: status as PrivacyRequestFilter | undefined, kind },
      this.clock.now(),
      pageLimit(limit),
      cursor,
    );
  }

  @Get('privacy-requests/:requestId')
  @RequirePermission('privacy-requests.read')
  async get(@Param('requestId', new UuidParam('requestId')) requestId: string) {
    return this.requests.get(requestId, this.clock.now());
  }

  @Post('privacy-requests/:requestId/verify')
  @HttpCode(200)
  @RequirePermission('privacy-requests.manage')
  async verify(
    @Param('requestId', new UuidParam('requestId')) requestId: string,
    @Body() _dto: VerifyPrivacyRequestDto,
    @CurrentActor() actor: RequestActor,
    @Req() request: FastifyRequest,
  ) {
    return this.act(requestId, { type: 'VerifyIdentity' }, actor, request);
  }

  @Post('privacy-requests/:requestId/extend')
  @HttpCode(200)
  @RequirePermission('privacy-requests.manage')
  async extend(
    @Param('requestId', new UuidParam('requestId')) requestId: string,
    @Body() dto: PrivacyRequestReasonDto,
    @CurrentActor() actor: RequestActor,
    @Req() request: FastifyRequest,
  ) {
    return this.act(
      requestId,
      { type: 'ExtendPrivacyRequest', reason: dto.reason },
      actor,
      request,
    );
  }

  @Post('privacy-requests/:requestId/complete')
  @HttpCode(200)
  @RequirePermission('privacy-requests.manage')
  async complete(
    @Param('requestId', new UuidParam('requestId')) requestId: string,
    @Body() dto: CompletePrivacyRequestDto,
    @CurrentActor() actor: RequestActor,
    @Req() request: FastifyRequest,
  ) {
    return this.act(
      requestId,
      {
        type: 'CompletePrivacyRequest',
        outcome: dto.outcome ?? null,
        receiptId: dto.receiptId?.toLowerCase() ?? null,
      },
      actor,
      request,
    );
  }

  @Post('privacy-requests/:requestId/refuse')
  @HttpCode(200)
  @RequirePermission('privacy-requests.manage')
  async refuse(
    @Param('requestId', new UuidParam('requestId')) requestId: string,
    @Body() dto: PrivacyRequestReasonDto,
    @CurrentActor() actor: RequestActor,
    @Req() request: FastifyRequest,
  ) {
    return this.act(
      requestId,
      { type: 'RefusePrivacyRequest', reason: dto.reason },
      actor,
      request,
    );
  }

  /** Open and overdue requests per kind, for dashboards: counts only, no ids. */
  @Get('dashboard/privacy-requests')
  @RequirePermission('dashboard.read')
  async dashboard() {
    return this.requests.counts(this.clock.now());
  }

  private act(
    requestId: string,
    action: PrivacyRequestAction,
    actor: RequestActor,
    request: FastifyRequest,
  ) {
    return this.commands.execute(
      new ActOnPrivacyRequestCommand(requestId, action, commandMeta(this.clock, request, actor)),
    );
  }
}
