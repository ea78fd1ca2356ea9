import {
  CLOCK,
  CurrentActor,
  RequirePermission,
  UuidParam,
  badParam,
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
  Res,
  StreamableFile,
} from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { commandMeta } from '../shared/request-meta';
import { ApproveExportCommand } from './approve-export.command';
import { DownloadExportCommand } from './download-export.command';
import type { ExportFormat } from './export-files';
import { ExportQuery } from './export.query';
import { ApproveExportDto, RejectExportDto, RequestExportDto } from './exports.dto';
import { PreviewExportQuery } from './preview-export.query';
import { RejectExportCommand } from './reject-export.command';
import { RequestExportCommand } from './request-export.command';

const ExportIdParam = () => Param('exportId', new UuidParam('exportId'));

@Controller('v1/exports')
export class ExportsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** How many customers the export would take, and whether it needs approval; writes nothing. */
  @Post('preview')
  @HttpCode(200)
  @RequirePermission('exports.request')
  async preview(@Body() dto: RequestExportDto, @CurrentActor() actor: RequestActor) {
    return this.queries.execute(new PreviewExportQuery(dto, actor, this.clock.now()));
  }

  @Post()
  @HttpCode(202)
  @RequirePermission('exports.request')
  async request(
    @Body() dto: RequestExportDto,
    @CurrentActor() actor: RequestActor,
    @Req() request: FastifyRequest,
  ) {
    return this.commands.execute(
      new RequestExportCommand(dto, commandMeta(this.clock, request, actor)),
    );
  }

  @Post(':exportId/approve')
  @HttpCode(202)
  @RequirePermission('exports.approve')
  async approve(
    @ExportIdParam() exportId: string,
    @Body() dto: ApproveExportDto,
    @CurrentActor() actor: RequestActor,
    @Req() request: FastifyRequest,
  ) {
    return this.commands.execute(
      new ApproveExportCommand(exportId, dto.note ?? '', commandMeta(this.clock, request, actor)),
    );
  }

  @Post(':exportId/reject')
  @HttpCode(200)
  @RequirePermission('exports.approve')
  async reject(
    @ExportIdParam() exportId: string,
    @Body() dto: RejectExportDto,
    @CurrentActor() actor: RequestActor,
    @Req() request: FastifyRequest,
  ) {
    return this.commands.execute(
      new RejectExportCommand(exportId, dto.reason, commandMeta(this.clock, request, actor)),
    );
  }

  @Get(':exportId')
  @RequirePermission('exports.read')
  async get(@ExportIdParam() exportId: string, @CurrentActor() actor: RequestActor) {
    return this.queries.execute(new ExportQuery(exportId, actor));
  }

  /** The file (NDJSON by default, `?format=csv`), with its SHA-256 in `Repr-Digest`. */
  @Get(':exportId/download')
  @RequirePermission('exports.download')
  async download(
    @ExportIdParam() exportId: string,
    @Query('format') format: string | undefined,
    @CurrentActor() actor: RequestActor,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const chosen = format ?? 'ndjson';
    if (chosen !== 'ndjson' && chosen !== 'csv') throw badParam('format', 'must be ndjson or csv');
    const file = await this.commands.execute(
      new DownloadExportCommand(
        exportId,
        chosen as ExportFormat,
        commandMeta(this.clock, request, actor),
      ),
    );
    reply.header('content-type', file.contentType);
    reply.header('content-disposition', `attachment; filename="${file.filename}"`);
    reply.header('repr-digest', `sha-256=:${Buffer.from(file.sha256, 'hex').toString('base64')}:`);
    reply.header('x-content-sha256', file.sha256);
    reply.header('cache-control', 'no-store');
    return new StreamableFile(file.stream, { length: file.bytes });
  }
}
