import type { PurposeDefinition } from '@custodian/domain';
import {
  badParam,
  CLOCK,
  CurrentActor,
  PurposeIdParam,
  RequirePermission,
  type Clock,
  type RequestActor,
} from '@custodian/platform';
import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Req } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import type { FastifyRequest } from 'fastify';
import { assessmentWarnings, recipientsOf } from '../downstream/recipients';
import { commandMeta } from '../shared/request-meta';
import { ActivatePurposeCommand } from './activate-purpose.command';
import { PublishNoticeCommand } from './publish-notice.command';
import { PublishNoticeDto, RegisterPurposeDto } from './register-purpose.dto';
import { PurposesService } from './purposes.service';
import { RegisterPurposeCommand } from './register-purpose.command';
import { RetirePurposeCommand } from './retire-purpose.command';

@Controller('v1/purposes')
export class PurposesController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly purposes: PurposesService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Post()
  @RequirePermission('purposes.manage')
  async register(
    @Body() body: RegisterPurposeDto,
    @CurrentActor() actor: RequestActor,
    @Req() request: FastifyRequest,
  ) {
    return this.commands.execute(
      new RegisterPurposeCommand(toDefinition(body), commandMeta(this.clock, request, actor)),
    );
  }

  @Post(':purposeId/notices')
  @RequirePermission('purposes.manage')
  async publishNotice(
    @Param('purposeId', PurposeIdParam) purposeId: string,
    @Body() body: PublishNoticeDto,
    @CurrentActor() actor: RequestActor,
    @Req() request: FastifyRequest,
  ) {
    return this.commands.execute(
      new PublishNoticeCommand(purposeId, body, commandMeta(this.clock, request, actor)),
    );
  }

  @Post(':purposeId/activate')
  @HttpCode(200)
  @RequirePermission('purposes.activate')
  async activate(
    @Param('purposeId', PurposeIdParam) purposeId: string,
    @CurrentActor() actor: RequestActor,
    @Req() request: FastifyRequest,
  ) {
    return this.commands.execute(
      new ActivatePurposeCommand(purposeId, commandMeta(this.clock, request, actor)),
    );
  }

  @Post(':purposeId/retire')
  @HttpCode(200)
  @RequirePermission('purposes.manage')
  async retire(
    @Param('purposeId', PurposeIdParam) purposeId: string,
    @CurrentActor() actor: RequestActor,
    @Req() request: FastifyRequest,
  ) {
    return this.commands.execute(
      new RetirePurposeCommand(purposeId, commandMeta(this.clock, request, actor)),
    );
  }

  @Get()
  @RequirePermission('purposes.read')
  async list(
    @Query('status') status?: string,
    @Query('limit') limit?: string,
    @Query('cursor') cursor?: string,
  ) {
    if (status !== undefined && !['draft', 'active', 'retired'].includes(status)) {
      throw badParam('status', 'must be draft, active or retired');
    }
    const n = limit === undefined ? undefined : Number(limit);
    if (n !== undefined && (!Number.isInteger(n) || n < 1 || n > 1000))
      throw badParam('limit', 'must be an integer from 1 to 1000');
    return this.purposes.list({ status, limit: n, cursor });
  }

  @Get(':purposeId')
  @RequirePermission('purposes.read')
  async get(@Param('purposeId', PurposeIdParam) purposeId: string) {
    const purpose = await this.purposes.get(purposeId);
    // The systems that receive data for it, and the assessment's warning when they receive more.
    const connectors = await recipientsOf(this.queries, purposeId);
    return { ...purpose, connectors, assessmentWarnings: assessmentWarnings(purpose, connectors) };
  }
}

/** Only the declared fields reach the event, in a fixed shape. */
function toDefinition(body: RegisterPurposeDto): PurposeDefinition {
  const { flags, assessment } = body;
  return {
    purposeId: body.purposeId,
    title: body.title,
    description: body.description,
    legalBasis: body.legalBasis,
    dataCategories: [...new Set(body.dataCategories)],
    retention: body.retention,
    recipients: body.recipients,
    allowedRoles: [...new Set(body.allowedRoles)],
    flags: {
      marketing: flags.marketing,
      profiling: flags.profiling,
      saleOrShare: flags.saleOrShare,
      aiProcessing: flags.aiProcessing,
      ...(flags.aiTraining ? { aiTraining: true } : {}),
    },
    assessment: {
      necessity: assessment.necessity,
      minimumFields: assessment.minimumFields,
      retentionJustification: assessment.retentionJustification,
      access: assessment.access,
      thirdParties: assessment.thirdParties,
      withdrawal: assessment.withdrawal,
      mainRisk: assessment.mainRisk,
    },
    ...(body.legalHold
      ? {
          legalHold: {
            holdAfterBasisEnds: body.legalHold.holdAfterBasisEnds,
            fields: [...new Set(body.legalHold.fields)],
          },
        }
      : {}),
  };
}
