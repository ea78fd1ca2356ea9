import {
  CLOCK,
  CurrentActor,
  PurposeIdParam,
  RequirePermission,
  SubjectIdParam,
  type Clock,
  type RequestActor,
} from '@custodian/platform';
import { Controller, Get, Inject, Query, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { FastifyRequest } from 'fastify';
import { commandMeta } from '../shared/request-meta';
import { ReadHeldFieldsCommand } from './read-held-fields.command';

/** Fields a legal hold keeps after an erasure: the DPO alone reads them, for the purpose holding them. */
@Controller('v1')
export class LegalHoldsController {
  constructor(
    private readonly commands: CommandBus,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get('subjects/:subjectId/held')
  @RequirePermission('subjects.held-read')
  async held(
    @SubjectIdParam() subjectId: string,
    @Query('purpose', PurposeIdParam) purposeId: string,
    @CurrentActor() actor: RequestActor,
    @Req() request: FastifyRequest,
  ) {
    return this.commands.execute(
      new ReadHeldFieldsCommand(subjectId, purposeId, commandMeta(this.clock, request, actor)),
    );
  }
}
