import { parseIsoTimestamp } from '@custodian/domain';
import {
  ACTOR_ID_PATTERN,
  badParam,
  CLOCK,
  CurrentActor,
  RequirePermission,
  UuidParam,
  type Clock,
  type RequestActor,
} from '@custodian/platform';
import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
  Req,
  type PipeTransform,
} from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { FastifyRequest } from 'fastify';
import { commandMeta } from '../shared/request-meta';
import { ActorsService } from './actors.service';
import { AddIncidentNoteCommand } from './add-incident-note.command';
import { AnomaliesService } from './anomalies.service';
import { AssessIncidentRiskCommand } from './assess-incident-risk.command';
import { CloseIncidentCommand } from './close-incident.command';
import { IncidentsService } from './incidents.service';
import { OpenIncidentCommand } from './open-incident.command';
import { PublishAnomalyRulesCommand } from './publish-anomaly-rules.command';
import { RecordIncidentNotificationCommand } from './record-incident-notification.command';
import { ReinstateActorCommand } from './reinstate-actor.command';
import { SuspendActorCommand } from './suspend-actor.command';
import {
  AnomalyRulesDto,
  CloseIncidentDto,
  EvaluateRulesDto,
  IncidentNoteDto,
  IncidentNotificationDto,
  IncidentRiskDto,
  OpenIncidentDto,
  ReinstateActorDto,
  SuspendActorDto,
} from './oversight.dto';

class ActorIdParam implements PipeTransform<unknown, string> {
  transform(value: unknown): string {
    if (typeof value !== 'string' || !ACTOR_ID_PATTERN.test(value))
      throw badParam('actorId', 'must be an actor id (letters, digits, ._:-)');
    return value;
  }
}

export function pageLimit(limit: string | undefined): number {
  if (limit === undefined) return 100;
  const n = Number(limit);
  if (!Number.isInteger(n) || n < 1 || n > 1000)
    throw badParam('limit', 'must be an integer from 1 to 1000');
  return n;
}

export function optionalTime(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const at = parseIsoTimestamp(value);
  if (!at) throw badParam(name, 'must be an ISO-8601 timestamp with a time zone');
  return at.toISOString();
}

/** Anomalies and their rules, containment of actors, and incidents. */
@Controller('v1')
export class OversightController {
  constructor(
    private readonly commands: CommandBus,
    private readonly anomalies: AnomaliesService,
    private readonly actors: ActorsService,
    private readonly incidents: IncidentsService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get('anomalies')
  @RequirePermission('anomalies.read')
  async listAnomalies(
    @Query('actorId') actorId?: string,
    @Query('ruleId') ruleId?: string,
    @Query('from') from?: string,
    @Query('to') to?: string,
    @Query('limit') limit?: string,
    @Query('cursor') cursor?: string,
  ) {
    if (actorId !== undefined) new ActorIdParam().transform(actorId);
    if (ruleId !== undefined && !/^[a-z][a-z0-9-]{1,63}$/.test(ruleId))
      throw badParam('ruleId', 'must be a rule id');
    return this.anomalies.list(
      { actorId, ruleId, from: optionalTime('from', from), to: optionalTime('to', to) },
      pageLimit(limit),
      cursor,
    );
  }

  @Get('anomaly-rules')
  @RequirePermission('anomaly-rules.read')
  async rules() {
    return this.anomalies.rules();
  }

  @Post('anomaly-rules')
  @RequirePermission('anomaly-rules.publish')
  async publishRules(
    @Body() dto: AnomalyRulesDto,
    @CurrentActor() actor: RequestActor,
    @Req() request: FastifyRequest,
  ) {
    return this.commands.execute(
      new PublishAnomalyRulesCommand(dto, commandMeta(this.clock, request, actor)),
    );
  }

  /** What a new or changed rule set would have caught over past history; writes nothing. */
  @Post('anomaly-rules/evaluate')
  @HttpCode(200)
  @RequirePermission('anomaly-rules.evaluate')
  async evaluate(@Body() dto: EvaluateRulesDto) {
    return this.anomalies.evaluate(dto, this.clock.now());
  }

  @Get('actors/:actorId')
  @RequirePermission('actors.read')
  async actor(@Param('actorId', new ActorIdParam()) actorId: string) {
    return this.actors.status(actorId);
  }

  @Post('actors/:actorId/suspend')
  @HttpCode(200)
  @RequirePermission('actors.suspend')
  async suspend(
    @Param('actorId', new ActorIdParam()) actorId: string,
    @Body() dto: SuspendActorDto,
    @CurrentActor() actor: RequestActor,
    @Req() request: FastifyRequest,
  ) {
    return this.commands.execute(
      new SuspendActorCommand(actorId, dto.reason, commandMeta(this.clock, request, actor)),
    );
  }

  @Post('actors/:actorId/reinstate')
  @HttpCode(200)
  @RequirePermission('actors.reinstate')
  async reinstate(
    @Param('actorId', new ActorIdParam()) actorId: string,
    @Body() dto: ReinstateActorDto,
    @CurrentActor() actor: RequestActor,
    @Req() request: FastifyRequest,
  ) {
    return this.commands.execute(
      new ReinstateActorCommand(actorId, dto.note, commandMeta(this.clock, request, actor)),
    );
  }

  @Post('incidents')
  @RequirePermission('incidents.manage')
  async openIncident(
    @Body() dto: OpenIncidentDto,
    @CurrentActor() actor: RequestActor,
    @Req() request: FastifyRequest,
  ) {
    return this.commands.execute(
      new OpenIncidentCommand(dto, commandMeta(this.clock, request, actor)),
    );
  }

  @Get('incidents')
  @RequirePermission('incidents.read')
  async listIncidents(
    @Query('status') status?: string,
    @Query('limit') limit?: string,
    @Query('cursor') cursor?: string,
  ) {
    if (status !== undefined && status !== 'open' && status !== 'closed')
      throw badParam('status', 'must be open or closed');
    return this.incidents.list(status, this.clock.now(), pageLimit(limit), cursor);
  }

  @Get('incidents/:incidentId')
  @RequirePermission('incidents.read')
  async incident(@Param('incidentId', new UuidParam('incidentId')) incidentId: string) {
    return this.incidents.get(incidentId, this.clock.now());
  }

  @Post('incidents/:incidentId/notes')
  @RequirePermission('incidents.manage')
  async note(
    @Param('incidentId', new UuidParam('incidentId')) incidentId: string,
    @Body() dto: IncidentNoteDto,
    @CurrentActor() actor: RequestActor,
    @Req() request: FastifyRequest,
  ) {
    return this.commands.execute(
      new AddIncidentNoteCommand(incidentId, dto.text, commandMeta(this.clock, request, actor)),
    );
  }

  /** A reassessment of the risk to the customers; high adds their notice to the obligations. */
  @Post('incidents/:incidentId/risk')
  @HttpCode(200)
  @RequirePermission('incidents.manage')
  async assessRisk(
    @Param('incidentId', new UuidParam('incidentId')) incidentId: string,
    @Body() dto: IncidentRiskDto,
    @CurrentActor() actor: RequestActor,
    @Req() request: FastifyRequest,
  ) {
    return this.commands.execute(
      new AssessIncidentRiskCommand(
        incidentId,
        dto.risk,
        dto.rationale,
        commandMeta(this.clock, request, actor),
      ),
    );
  }

  @Post('incidents/:incidentId/notifications')
  @RequirePermission('incidents.manage')
  async notification(
    @Param('incidentId', new UuidParam('incidentId')) incidentId: string,
    @Body() dto: IncidentNotificationDto,
    @CurrentActor() actor: RequestActor,
    @Req() request: FastifyRequest,
  ) {
    return this.commands.execute(
      new RecordIncidentNotificationCommand(
        incidentId,
        dto.obligation,
        dto.reference,
        commandMeta(this.clock, request, actor),
      ),
    );
  }

  @Post('incidents/:incidentId/close')
  @HttpCode(200)
  @RequirePermission('incidents.manage')
  async close(
    @Param('incidentId', new UuidParam('incidentId')) incidentId: string,
    @Body() dto: CloseIncidentDto,
    @CurrentActor() actor: RequestActor,
    @Req() request: FastifyRequest,
  ) {
    return this.commands.execute(
      new CloseIncidentCommand(
        incidentId,
        dto.remediation,
        (dto.unmet ?? []).map(({ obligation, reason }) => ({ obligation, reason })),
        commandMeta(this.clock, request, actor),
      ),
    );
  }
}
