import type { DownstreamStatus } from '@custodian/domain';
import {
  badParam,
  CLOCK,
  CurrentActor,
  isUuid,
  RequirePermission,
  type Clock,
  type RequestActor,
} from '@custodian/platform';
import { Body, Controller, Get, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ConnectorIdParam, pageLimit } from '../connectors/connectors.controller';
import { commandMeta } from '../shared/request-meta';
import { AcknowledgeCommand } from './acknowledge.command';
import { AcknowledgeDto } from './downstream.dto';
import { DownstreamService } from './downstream.service';

const STATUSES: readonly DownstreamStatus[] = ['pending', 'acknowledged', 'overdue'];

/**
 * Erasures and withdrawals tracked downstream: connectors acknowledge, the DPO sees who has and
 * who is overdue, the dashboard counts them per connector.
 */
@Controller('v1')
export class DownstreamController {
  constructor(
    private readonly commands: CommandBus,
    private readonly downstream: DownstreamService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Post('connectors/:connectorId/acknowledgements')
  @RequirePermission('connectors.acknowledge')
  async acknowledge(
    @Param('connectorId', ConnectorIdParam) connectorId: string,
    @Body() body: AcknowledgeDto,
    @CurrentActor() actor: RequestActor,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { created, acknowledgement } = await this.commands.execute(
      new AcknowledgeCommand(
        connectorId,
        body.eventId.toLowerCase(),
        commandMeta(this.clock, request, actor),
      ),
    );
    void reply.status(created ? 201 : 200);
    return acknowledgement;
  }

  /** The DPO's view: per connector and event, pending / acknowledged / overdue. */
  @Get('connectors/acknowledgements')
  @RequirePermission('connectors.read')
  async list(
    @Query('status') status?: string,
    @Query('subjectId') subjectId?: string,
    @Query('connectorId') connectorId?: string,
    @Query('limit') limit?: string,
  ) {
    if (status !== undefined && !STATUSES.includes(status as DownstreamStatus))
      throw badParam('status', `must be one of ${STATUSES.join(', ')}`);
    if (subjectId !== undefined && !isUuid(subjectId))
      throw badParam('subjectId', 'must be a UUID');
    if (connectorId !== undefined) new ConnectorIdParam().transform(connectorId);
    await this.downstream.fresh();
    return this.downstream.list(
      {
        status: status as DownstreamStatus | undefined,
        subjectId: subjectId?.toLowerCase(),
        connectorId,
      },
      pageLimit(limit) ?? 100,
    );
  }

  /** Counts per connector, no ids: what is pending, acknowledged and overdue right now. */
  @Get('dashboard/downstream')
  @RequirePermission('dashboard.read')
  async dashboard() {
    await this.downstream.fresh();
    return this.downstream.counts();
  }
}
