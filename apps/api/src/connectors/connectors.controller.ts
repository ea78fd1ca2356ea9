import { catalogueFields, type ConnectorDefinition } from '@custodian/domain';
import {
  badParam,
  CLOCK,
  CurrentActor,
  CUSTODIAN_CONFIG,
  destinationProblem,
  RequirePermission,
  type Clock,
  type CustodianConfig,
  type RequestActor,
} from '@custodian/platform';
import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Injectable,
  Param,
  Post,
  Query,
  Req,
  type PipeTransform,
} from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import type { FastifyRequest } from 'fastify';
import { CurrentPurposeQuery } from '../purposes/current-purpose.query';
import { commandMeta } from '../shared/request-meta';
import { FieldCatalogueQuery } from '../subjects/field-catalogue.query';
import {
  ChangeConnectorStandingCommand,
  RotateWebhookSecretCommand,
} from './connector-lifecycle.command';
import { CONNECTOR_ID_PATTERN, ConnectorReasonDto, RegisterConnectorDto } from './connectors.dto';
import { connectorView, ConnectorsService } from './connectors.service';
import { RegisterConnectorCommand } from './register-connector.command';

@Injectable()
export class ConnectorIdParam implements PipeTransform<unknown, string> {
  transform(value: unknown): string {
    if (typeof value !== 'string' || !CONNECTOR_ID_PATTERN.test(value))
      throw badParam('connectorId', 'must be 2-64 lowercase letters, digits or "-"');
    return value;
  }
}

/** A query parameter given at most once, as text; a repeated one is a 400 naming it. */
export function single(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw badParam(field, 'must be given once');
  return value;
}

export function pageLimit(limit: string | undefined): number | undefined {
  limit = single(limit, 'limit');
  if (limit === undefined) return undefined;
  const n = Number(limit);
  if (!/^\d{1,4}$/.test(limit) || n < 1 || n > 1000)
    throw badParam('limit', 'must be an integer from 1 to 1000');
  return n;
}

/** The connector registry: the downstream systems that receive customers' data. */
@Controller('v1/connectors')
export class ConnectorsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly connectors: ConnectorsService,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CUSTODIAN_CONFIG) private readonly config: CustodianConfig,
  ) {}

  @Post()
  @RequirePermission('connectors.manage')
  async register(
    @Body() body: RegisterConnectorDto,
    @CurrentActor() actor: RequestActor,
    @Req() request: FastifyRequest,
  ) {
    const definition = await this.checked(body);
    const registered = await this.commands.execute(
      new RegisterConnectorCommand(definition, commandMeta(this.clock, request, actor)),
    );
    return {
      ...connectorView(registered.state),
      apiKey: registered.apiKey,
      ...(registered.webhookSecret ? { webhookSecret: registered.webhookSecret } : {}),
    };
  }

  @Get()
  @RequirePermission('connectors.read')
  async list(
    @Query('status') status?: string,
    @Query('purposeId') purposeId?: string,
    @Query('field') field?: string,
    @Query('limit') limit?: string,
    @Query('cursor') cursor?: string,
  ) {
    status = single(status, 'status');
    purposeId = single(purposeId, 'purposeId');
    field = single(field, 'field');
    cursor = single(cursor, 'cursor');
    if (status !== undefined && status !== 'active' && status !== 'suspended')
      throw badParam('status', 'must be active or suspended');
    if (purposeId !== undefined && !CONNECTOR_ID_PATTERN.test(purposeId))
      throw badParam('purposeId', 'must be a purpose id');
    if (field !== undefined && !/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(field))
      throw badParam('field', 'must be a field name');
    if (purposeId !== undefined || field !== undefined) {
      const items = (await this.connectors.linked({ purposeId, field }, true))
        .filter((c) => status === undefined || c.status === status)
        .map(connectorView);
      return { items, nextCursor: null };
    }
    if (cursor !== undefined && (typeof cursor !== 'string' || cursor.length > 512))
      throw badParam('cursor', 'must be a nextCursor from a previous page');
    return this.connectors.list({ status, limit: pageLimit(limit), cursor });
  }

  @Get(':connectorId')
  @RequirePermission('connectors.read')
  async get(@Param('connectorId', ConnectorIdParam) connectorId: string) {
    return connectorView(await this.connectors.get(connectorId));
  }

  @Post(':connectorId/suspend')
  @HttpCode(200)
  @RequirePermission('connectors.suspend')
  async suspend(
    @Param('connectorId', ConnectorIdParam) connectorId: string,
    @Body() body: ConnectorReasonDto,
    @CurrentActor() actor: RequestActor,
    @Req() request: FastifyRequest,
  ) {
    return connectorView(
      await this.commands.execute(
        new ChangeConnectorStandingCommand(
          connectorId,
          'suspend',
          body.reason,
          commandMeta(this.clock, request, actor),
        ),
      ),
    );
  }

  @Post(':connectorId/reinstate')
  @HttpCode(200)
  @RequirePermission('connectors.reinstate')
  async reinstate(
    @Param('connectorId', ConnectorIdParam) connectorId: string,
    @Body() body: ConnectorReasonDto,
    @CurrentActor() actor: RequestActor,
    @Req() request: FastifyRequest,
  ) {
    return connectorView(
      await this.commands.execute(
        new ChangeConnectorStandingCommand(
          connectorId,
          'reinstate',
          body.reason,
          commandMeta(this.clock, request, actor),
        ),
      ),
    );
  }

  /** Rotation: the new secret is shown once; the previous one stays valid for the grace period. */
  @Post(':connectorId/secrets')
  @RequirePermission('connectors.manage')
  async rotate(
    @Param('connectorId', ConnectorIdParam) connectorId: string,
    @CurrentActor() actor: RequestActor,
    @Req() request: FastifyRequest,
  ) {
    const rotated = await this.commands.execute(
      new RotateWebhookSecretCommand(connectorId, commandMeta(this.clock, request, actor)),
    );
    return { ...connectorView(rotated.state), webhookSecret: rotated.secret };
  }

  /** Purposes must be registered, fields declared, the webhook URL an allowed destination. */
  private async checked(body: RegisterConnectorDto): Promise<ConnectorDefinition> {
    if (body.webhook) {
      const problem = destinationProblem(body.webhook.url, this.config.webhooks);
      if (problem) throw badParam('webhook.url', problem);
    }
    const unknownPurposes: string[] = [];
    for (const purposeId of body.purposes)
      if (!(await this.queries.execute(new CurrentPurposeQuery(purposeId))))
        unknownPurposes.push(purposeId);
    if (unknownPurposes.length > 0)
      throw badParam('purposes', `are not registered: ${unknownPurposes.join(', ')}`);
    const fields = catalogueFields(await this.queries.execute(new FieldCatalogueQuery()));
    const unknownFields = body.fields.filter((f) => !Object.hasOwn(fields, f));
    if (unknownFields.length > 0)
      throw badParam('fields', `are not in the field catalogue: ${unknownFields.join(', ')}`);
    return {
      connectorId: body.connectorId,
      name: body.name,
      kind: body.kind,
      owner: body.owner,
      purposes: [...body.purposes],
      fields: [...body.fields],
      country: body.country,
      role: body.role,
      webhook: body.webhook
        ? { url: new URL(body.webhook.url).href, events: [...body.webhook.events] }
        : null,
      ...(body.ai ? { ai: { analysis: body.ai.analysis, training: body.ai.training } } : {}),
    };
  }
}
