import {
  CLOCK,
  CurrentActor,
  RequirePermission,
  UuidParam,
  type Clock,
  type RequestActor,
} from '@custodian/platform';
import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
  Req,
} from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import type { FastifyRequest } from 'fastify';
import { parseRoles } from '../access/access.controller';
import { commandMeta } from '../shared/request-meta';
import { AuditReadsQuery } from './audit-reads.query';
import {
  AuditReadsQueryDto,
  EvaluateRolePolicyDto,
  ExportsQueryDto,
  InvalidateReceiptDto,
} from './audit.dto';
import { AuditService } from './audit.service';
import { InvalidateReceiptCommand } from './invalidate-receipt.command';

/** Audit queries, the justification of each read, exports, and re-judging (receipts, role policy). */
@Controller('v1')
export class AuditController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly audit: AuditService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Reads, exports and refusals across customers, in log order, filtered and paged. */
  @Get('audit/reads')
  @RequirePermission('audit.read')
  async reads(@Query() query: AuditReadsQueryDto) {
    return this.queries.execute(new AuditReadsQuery(query));
  }

  /** One read, export or refusal with its justification as of its place in the log. */
  @Get('audit/reads/:eventId')
  @RequirePermission('audit.read')
  async read(@Param('eventId', new UuidParam('eventId')) eventId: string) {
    return this.audit.read(eventId);
  }

  /** Every export: status, requester, approver, purpose, counts and times. */
  @Get('exports')
  @RequirePermission('audit.read')
  async exports(@Query() query: ExportsQueryDto) {
    return this.audit.exports(query);
  }

  /** A DPO records that a consent receipt is unsound; what relied on it becomes affected. */
  @Post('consent-receipts/:receiptId/invalidation')
  @RequirePermission('receipts.invalidate')
  async invalidate(
    @Param('receiptId', new UuidParam('receiptId')) receiptId: string,
    @Body() dto: InvalidateReceiptDto,
    @CurrentActor() actor: RequestActor,
    @Req() request: FastifyRequest,
  ) {
    return this.commands.execute(
      new InvalidateReceiptCommand(receiptId, dto.reason, commandMeta(this.clock, request, actor)),
    );
  }

  @Get('consent-receipts/:receiptId/invalidation')
  @RequirePermission('audit.read')
  async invalidation(@Param('receiptId', new UuidParam('receiptId')) receiptId: string) {
    return this.audit.invalidation(receiptId);
  }

  /** Past reads of a period replayed under a candidate role policy's masks; writes nothing. */
  @Post('policy/roles/evaluate')
  @HttpCode(200)
  @RequirePermission('policy.evaluate')
  async evaluate(@Body() dto: EvaluateRolePolicyDto) {
    let roles;
    try {
      roles = parseRoles(dto.policy);
    } catch (error) {
      throw withPrefix(error, 'policy');
    }
    return this.audit.evaluate(roles, dto.from, dto.to);
  }
}

/** The candidate's problems named by their path in this body (`policy.roles.sales.fields`). */
function withPrefix(error: unknown, prefix: string): unknown {
  if (!(error instanceof BadRequestException)) return error;
  const body = error.getResponse() as { details?: Array<{ field: string; problem: string }> };
  const details = (body.details ?? []).map((d) => ({ ...d, field: `${prefix}.${d.field}` }));
  return new BadRequestException({
    message: `invalid request: ${details.map((d) => `${d.field} ${d.problem}`).join('; ')}`,
    details,
  });
}
