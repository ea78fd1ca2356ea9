import {
  CLOCK,
  actorOf,
  CurrentActor,
  PURPOSE_ID_PATTERN,
  RequirePermission,
  SubjectIdParam,
  badParam,
  type Clock,
  type RequestActor,
} from '@custodian/platform';
import { ROLES, isRole, type Mask, type Role, type RoleRules } from '@custodian/policy';
import { parseIsoTimestamp } from '@custodian/domain';
import { Body, Controller, Get, Inject, Post, Query, Req } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import type { FastifyRequest } from 'fastify';
import { commandMeta } from '../shared/request-meta';
import { AuditReadsQuery } from '../audit/audit-reads.query';
import { AccessLogQueryDto } from '../audit/audit.dto';
import { PublishRolePolicyCommand } from './publish-role-policy.command';
import { RolePolicyQuery } from './role-policy.query';
import { ViewSubjectCommand } from './view-subject.command';

const MASKS: readonly Mask[] = ['full', 'partial', 'hidden'];
const FLAGS = ['marketing', 'profiling', 'saleOrShare', 'aiProcessing'];

@Controller('v1')
export class AccessController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** The audited read: the customer as the caller's role may see them, for a declared purpose. */
  @Get('subjects/:subjectId/view')
  @RequirePermission('subjects.view')
  async view(
    @SubjectIdParam() subjectId: string,
    @Query('purpose') purpose: string | undefined,
    @Req() request: FastifyRequest,
  ) {
    const actor = actorOf(request); // not @CurrentActor(): a hot route (see `actorOf`)
    const purposeId =
      typeof purpose === 'string' && PURPOSE_ID_PATTERN.test(purpose) ? purpose : null;
    return this.commands.execute(
      new ViewSubjectCommand(subjectId, purposeId, commandMeta(this.clock, request, actor)),
    );
  }

  /** The customer's reads, exports and refusals from the audit index: the audit list's filters and paging. */
  @Get('subjects/:subjectId/access-log')
  @RequirePermission('subjects.access-log')
  async accessLog(@SubjectIdParam() subjectId: string, @Query() query: AccessLogQueryDto) {
    const page = await this.queries.execute(new AuditReadsQuery({ ...query, subjectId }));
    return { subjectId, ...page };
  }

  @Get('policy/roles')
  @RequirePermission('policy.read')
  async policy(@Query('asOf') asOf?: string) {
    if (asOf === undefined) return this.queries.execute(new RolePolicyQuery());
    const at = parseIsoTimestamp(asOf);
    if (!at) throw badParam('asOf', 'must be an ISO-8601 timestamp with a time zone');
    return this.queries.execute(new RolePolicyQuery(at));
  }

  @Post('policy/roles')
  @RequirePermission('policy.publish')
  async publish(
    @Body() body: unknown,
    @CurrentActor() actor: RequestActor,
    @Req() request: FastifyRequest,
  ) {
    return this.commands.execute(
      new PublishRolePolicyCommand(parseRoles(body), commandMeta(this.clock, request, actor)),
    );
  }
}

/** A whole policy: rules for every shipped role, each field's mask one of full, partial, hidden. */
export function parseRoles(body: unknown): Record<Role, RoleRules> {
  const roles = (body as { roles?: unknown })?.roles;
  if (!roles || typeof roles !== 'object' || Array.isArray(roles))
    throw badParam('roles', 'must be an object of rules per role');
  for (const name of Object.keys(roles))
    if (!isRole(name)) throw badParam(`roles.${name}`, 'is not a known role');
  const parsed = {} as Record<Role, RoleRules>;
  for (const role of ROLES) {
    const r = (roles as Record<string, unknown>)[role] as Partial<RoleRules> | undefined;
    const at = `roles.${role}`;
    if (!r || typeof r !== 'object') throw badParam(at, 'must be given (every role needs rules)');
    if (!r.fields || typeof r.fields !== 'object' || Array.isArray(r.fields))
      throw badParam(`${at}.fields`, 'must map field names to masks');
    for (const [field, mask] of Object.entries(r.fields)) {
      if (!/^[a-z][A-Za-z0-9]{0,39}$/.test(field))
        throw badParam(`${at}.fields`, 'has a field name that is not one');
      if (!MASKS.includes(mask))
        throw badParam(`${at}.fields.${field}`, 'must be full, partial or hidden');
    }
    if (!MASKS.includes(r.otherFields as Mask))
      throw badParam(`${at}.otherFields`, 'must be full, partial or hidden');
    if (typeof r.mayReadCustomers !== 'boolean')
      throw badParam(`${at}.mayReadCustomers`, 'must be true or false');
    const conditions = r.consentConditions ?? [];
    if (!Array.isArray(conditions)) throw badParam(`${at}.consentConditions`, 'must be a list');
    for (const c of conditions) {
      if (typeof c?.field !== 'string' || !FLAGS.includes(c?.purposeFlag)) {
        throw badParam(
          `${at}.consentConditions`,
          'each needs a field and a purposeFlag (marketing, profiling, saleOrShare, aiProcessing)',
        );
      }
    }
    if (
      r.exportApprovalAbove !== undefined &&
      (!Number.isSafeInteger(r.exportApprovalAbove) || r.exportApprovalAbove < 0)
    )
      throw badParam(`${at}.exportApprovalAbove`, 'must be a whole number of customers, 0 or more');
    parsed[role] = {
      ...(r.exportApprovalAbove !== undefined
        ? { exportApprovalAbove: r.exportApprovalAbove }
        : {}),
      fields: { ...r.fields },
      otherFields: r.otherFields as Mask,
      mayReadCustomers: r.mayReadCustomers,
      consentConditions: conditions.map((c) => ({ field: c.field, purposeFlag: c.purposeFlag })),
    };
  }
  return parsed;
}
