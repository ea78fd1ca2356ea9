import { catalogueFields, DomainError, invalid, notFound } from '@custodian/domain';
import type { CommandMeta } from '@custodian/platform';
import {
  exportApprovalThreshold,
  mayDeclarePurpose,
  type Mask,
  type Role,
} from '@custodian/policy';
import { Injectable } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { RolePolicyQuery } from '../access/role-policy.query';
import { CurrentPurposeQuery } from '../purposes/current-purpose.query';
import { FieldCatalogueQuery } from '../subjects/field-catalogue.query';
import { ExportSelection, parseFilter, type ExportPlan } from './export-selection';
import type { RequestExportDto } from './exports.dto';

export interface ExportPreview {
  purposeId: string;
  mode: 'real' | 'sandbox';
  count: number;
  fields: ExportPlan['fields'];
  approvalRequired: boolean;
  approvalThreshold: number;
  policyVersion: number;
}

/**
 * What a request asks for, checked: an active purpose the role may declare, known fields the
 * purpose uses and the role may see (each with its mask), a filter on such fields; then the
 * customers it takes (their ids, sorted), counted, and whether a DPO must approve.
 */
@Injectable()
export class ExportPlanner {
  constructor(
    private readonly queries: QueryBus,
    private readonly selection: ExportSelection,
  ) {}

  async counted(
    dto: RequestExportDto,
    actor: CommandMeta['actor'],
    now: Date,
  ): Promise<{ plan: ExportPlan; preview: ExportPreview; subjectIds: string[] }> {
    const { plan, threshold, policyVersion } = await this.plan(dto, actor);
    const subjectIds = await this.selection.subjectIds(plan, now);
    const count = subjectIds.length;
    const mode = dto.mode ?? 'real';
    const preview = {
      purposeId: dto.purposeId,
      mode,
      count,
      fields: plan.fields,
      approvalRequired: mode === 'real' && count > threshold,
      approvalThreshold: threshold,
      policyVersion,
    };
    return { plan, preview, subjectIds };
  }

  private async plan(dto: RequestExportDto, actor: CommandMeta['actor']) {
    const purpose = await this.queries.execute(new CurrentPurposeQuery(dto.purposeId));
    if (!purpose) throw notFound('purposeId', `purpose "${dto.purposeId}" is not registered`);
    if (purpose.status !== 'active')
      throw invalid('purposeId', `purpose "${dto.purposeId}" is not active`);
    const policy = await this.queries.execute(new RolePolicyQuery());
    const role = actor.role as Role;
    const rules = policy.roles[role];
    if (!rules.mayReadCustomers || !mayDeclarePurpose(role, purpose))
      throw new DomainError(
        'forbidden',
        'purposeId',
        `role "${actor.role}" may not declare purpose "${dto.purposeId}"`,
      );
    const known = new Set(
      Object.keys(catalogueFields(await this.queries.execute(new FieldCatalogueQuery()))),
    );
    const maskOf = (field: string): Mask => rules.fields[field] ?? rules.otherFields;
    const fields = dto.fields.map((name, i) => {
      if (!known.has(name)) throw invalid(`fields.${i}`, 'is not a known field');
      if (!purpose.assessment.minimumFields.includes(name))
        throw invalid(`fields.${i}`, `is not among the fields purpose "${dto.purposeId}" uses`);
      const mask = maskOf(name);
      if (mask === 'hidden')
        throw new DomainError(
          'forbidden',
          `fields.${i}`,
          `is a field role "${actor.role}" may not see`,
        );
      return { name, mask };
    });
    const filter = parseFilter(dto.filter, known, maskOf);
    const plan: ExportPlan = { purpose, rules, fields, filter };
    return { plan, threshold: exportApprovalThreshold(rules), policyVersion: policy.version };
  }
}
