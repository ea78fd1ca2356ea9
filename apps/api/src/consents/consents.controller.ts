import {
  canonicalJson,
  CLOCK,
  actorOf,
  CurrentActor,
  type RequestActor,
  FieldVault,
  RequirePermission,
  SubjectIdParam,
  UuidParam,
  type Clock,
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
  Res,
} from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { idempotencyKeyOf } from '../shared/idempotency-key';
import { commandMeta } from '../shared/request-meta';
import { parseGateRequest } from './consent-gate.dto';
import { ConsentsService } from './consents.service';
import { RecordConsentCommand } from './record-consent.command';
import { ProofCheckDto, RecordConsentDto } from './record-consent.dto';

@Controller('v1')
export class ConsentsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly consents: ConsentsService,
    private readonly vault: FieldVault,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Post('subjects/:subjectId/consents')
  @RequirePermission('consents.record')
  async record(
    @SubjectIdParam() subjectId: string,
    @Body() body: RecordConsentDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    // The hottest write: header, key and actor come from the request, not from custom
    // parameter decorators, each of which Nest runs through the global pipes (see `actorOf`).
    const idempotencyKey = idempotencyKeyOf(request);
    const actor = actorOf(request);
    const gpcHeader = request.headers['sec-gpc'];
    const gpc = typeof gpcHeader === 'string' && gpcHeader.trim() === '1';
    const meta = commandMeta(this.clock, request, actor, {
      key: idempotencyKey,
      // Keyed by the customer's data key: shredded with it (no digest of the body outlives them).
      requestHash:
        idempotencyKey === undefined
          ? ''
          : await this.vault.requestDigest(subjectId, canonicalJson({ body, gpc })),
    });
    const { replayed, body: result } = await this.commands.execute(
      new RecordConsentCommand(subjectId, body, gpc, meta),
    );
    if (replayed) void reply.header('idempotent-replayed', 'true');
    void reply.status(201);
    return result;
  }

  @Get('subjects/:subjectId/consents')
  @RequirePermission('consents.read')
  async state(@SubjectIdParam() subjectId: string, @Query('asOf') asOf?: string) {
    return this.consents.state(subjectId, asOf);
  }

  /** Does this proof document (its SHA-256) match what the consent with this receipt recorded? */
  @Post('subjects/:subjectId/consents/proof-check')
  @RequirePermission('consents.history')
  @HttpCode(200)
  async proofCheck(@SubjectIdParam() subjectId: string, @Body() body: ProofCheckDto) {
    return this.consents.proofCheck(subjectId, body.receiptId, body.proofSha256);
  }

  @Get('subjects/:subjectId/consents/history')
  @RequirePermission('consents.history')
  async history(@SubjectIdParam() subjectId: string) {
    return this.consents.history(subjectId);
  }

  @Get('consent-receipts/:receiptId')
  @RequirePermission('receipts.read')
  async receipt(@Param('receiptId', new UuidParam('receiptId')) receiptId: string) {
    return this.consents.receipt(receiptId);
  }

  @Post('consent-gate')
  @HttpCode(200)
  @RequirePermission('consents.gate')
  async gate(
    @Body() body: unknown,
    @CurrentActor() actor: RequestActor,
    @Req() request: FastifyRequest,
  ) {
    const { purposeId, subjectIds, include } = parseGateRequest(body);
    if (include === undefined) return this.consents.gate(purposeId, subjectIds);
    return this.consents.audience(
      purposeId,
      subjectIds,
      include,
      commandMeta(this.clock, request, actor),
    );
  }
}
