import {
  badParam,
  CLOCK,
  CurrentActor,
  CUSTODIAN_CONFIG,
  RequirePermission,
  SubjectIdParam,
  UuidParam,
  type Clock,
  type CustodianConfig,
  type RequestActor,
} from '@custodian/platform';
import {
  Body,
  Controller,
  HttpCode,
  Inject,
  Param,
  PayloadTooLargeException,
  Post,
  Req,
} from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { FastifyRequest } from 'fastify';
import { commandMeta } from '../shared/request-meta';
import { RecordInsightDto, RedactTextDto, RestoreTextDto } from './ai.dto';
import { RecordInsightCommand } from './record-insight.command';
import { RedactTextCommand } from './redact-text.command';
import { RestoreTextCommand } from './restore-text.command';

/** Text bound for AI connectors, redacted; a model's answer with the values put back (issue 17). */
@Controller('v1/redactions')
export class RedactionsController {
  constructor(
    private readonly commands: CommandBus,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CUSTODIAN_CONFIG) private readonly config: CustodianConfig,
  ) {}

  @Post()
  @HttpCode(201)
  @RequirePermission('redactions.create')
  async redact(
    @Body() body: RedactTextDto,
    @CurrentActor() actor: RequestActor,
    @Req() request: FastifyRequest,
  ) {
    this.bounded(body.text);
    return this.commands.execute(
      new RedactTextCommand(
        {
          text: body.text,
          subjectId: body.subjectId,
          purposeId: body.purposeId,
          connectorId: body.connectorId,
        },
        commandMeta(this.clock, request, actor),
      ),
    );
  }

  @Post(':redactionId/restore')
  @HttpCode(200)
  @RequirePermission('redactions.restore')
  async restore(
    @Param('redactionId', new UuidParam('redactionId')) redactionId: string,
    @Body() body: RestoreTextDto,
    @CurrentActor() actor: RequestActor,
    @Req() request: FastifyRequest,
  ) {
    this.bounded(body.text);
    return this.commands.execute(
      new RestoreTextCommand(redactionId, body.text, commandMeta(this.clock, request, actor)),
    );
  }

  /** Text over `CUSTODIAN_REDACTION_MAX_BYTES` (UTF-8): 413 naming `text`. */
  private bounded(text: string): void {
    const max = this.config.redaction.maxTextBytes;
    if (Buffer.byteLength(text, 'utf8') > max)
      throw new PayloadTooLargeException({
        message: `text is over ${max} bytes (CUSTODIAN_REDACTION_MAX_BYTES)`,
        details: [{ field: 'text', problem: `must be at most ${max} bytes of UTF-8` }],
      });
    if (text.length === 0) throw badParam('text', 'must not be empty');
  }
}

/** The results of AI analyses kept about a customer, instead of the text. */
@Controller('v1/subjects')
export class InsightsController {
  constructor(
    private readonly commands: CommandBus,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Post(':subjectId/insights')
  @HttpCode(201)
  @RequirePermission('insights.record')
  async record(
    @SubjectIdParam() subjectId: string,
    @Body() body: RecordInsightDto,
    @CurrentActor() actor: RequestActor,
    @Req() request: FastifyRequest,
  ) {
    return this.commands.execute(
      new RecordInsightCommand(
        subjectId,
        {
          purposeId: body.purposeId,
          connectorId: body.connectorId,
          redactionId: body.redactionId.toLowerCase(),
          kind: body.kind,
          value: body.value,
        },
        commandMeta(this.clock, request, actor),
      ),
    );
  }
}
