import {
  DomainError,
  effectiveStatus,
  grantedPurposeFlags,
  invalid,
  parseIsoTimestamp,
  type ExportFilter,
  type PurposeState,
} from '@custodian/domain';
import { FieldVault, ProjectionReader } from '@custodian/platform';
import {
  customerView,
  isClosedFormat,
  SOURCE_SLUG,
  type Mask,
  type RoleRules,
} from '@custodian/policy';
import type { CustomerViewsDocument } from '@custodian/projections';
import { findAll, READ_STORE, type ReadStore } from '@custodian/read-store';
import { Inject, Injectable } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { AllPurposesQuery } from '../purposes/all-purposes.query';

/** Everything that decides which customers an export takes and how each field is shown. */
export interface ExportPlan {
  purpose: PurposeState;
  rules: RoleRules;
  fields: Array<{ name: string; mask: Mask }>;
  filter: ExportFilter;
}

export interface SelectedCustomer {
  subjectId: string;
  /** The requested fields as the role may see them (null: not held, or not shown). */
  row: Record<string, string | null>;
  /** Each requested field's mask for this customer (consent conditions applied). */
  masks: Record<string, Mask>;
  /** The real values of the requested fields the customer has (for sandbox shapes only). */
  values: Record<string, string>;
}

/**
 * Walks the customers an export may include: registered, not erased, with a lawful basis for
 * the purpose (a consent in force when the purpose rests on consent; otherwise no objection,
 * i.e. no revocation recorded for it), and matching the filter. Values are decrypted in memory
 * only when a filter or the rows need them.
 */
@Injectable()
export class ExportSelection {
  constructor(
    @Inject(READ_STORE) private readonly reads: ReadStore,
    private readonly projections: ProjectionReader,
    private readonly vault: FieldVault,
    private readonly queries: QueryBus,
  ) {}

  async count(plan: ExportPlan, now: Date): Promise<number> {
    let n = 0;
    for await (const _ of this.customers(plan, now, false)) n++;
    return n;
  }

  async *customers(plan: ExportPlan, now: Date, withRows = true): AsyncGenerator<SelectedCustomer> {
    await this.projections.catchUp('customer_views', { timeoutMs: 10_000 });
    const collection = await this.projections.collection('customer_views');
    const at = now.toISOString();
    const active = [...(await this.queries.execute(new AllPurposesQuery())).values()].filter(
      (p) => p.status === 'active',
    );
    const wanted = plan.fields.map((f) => f.name);
    for await (const doc of findAll(this.reads, collection)) {
      const customer = doc as CustomerViewsDocument;
      if (!customer.registered || customer.erased) continue;
      if (!this.lawful(plan.purpose, customer, at)) continue;
      if (!this.matchesRecord(plan.filter, customer)) continue;
      if (!withRows) {
        yield { subjectId: customer.subjectId, row: {}, masks: {}, values: {} };
        continue;
      }
      const encrypted = Object.fromEntries(
        Object.entries(customer.fields).filter(([f]) => wanted.includes(f)),
      );
      const values = await this.vault.decrypt(customer.subjectId, encrypted);
      if (values === null) continue; // erased since the projection was read
      const own = Object.fromEntries(wanted.filter((f) => f in values).map((f) => [f, values[f]]));
      const view = customerView(
        plan.rules,
        own,
        grantedPurposeFlags(customer.consents, active, at),
      );
      const row: Record<string, string | null> = {};
      const masks: Record<string, Mask> = {};
      for (const f of wanted) {
        row[f] = view.fields[f] ?? null;
        masks[f] = view.masks[f] ?? plan.fields.find((x) => x.name === f)!.mask;
      }
      yield { subjectId: customer.subjectId, row, masks, values: own };
    }
  }

  private lawful(purpose: PurposeState, customer: CustomerViewsDocument, at: string): boolean {
    const consent = customer.consents[purpose.purposeId];
    if (purpose.legalBasis === 'consent')
      return effectiveStatus(consent, purpose, at) === 'granted';
    return consent?.decision !== 'revoked';
  }

  private matchesRecord(filter: ExportFilter, customer: CustomerViewsDocument): boolean {
    if (filter.source !== undefined && customer.source !== filter.source) return false;
    if (filter.registeredAfter !== undefined && !(customer.registeredAt > filter.registeredAfter))
      return false;
    if (filter.registeredBefore !== undefined && !(customer.registeredAt < filter.registeredBefore))
      return false;
    for (const [field, condition] of Object.entries(filter.fields ?? {})) {
      if (condition.present !== undefined && field in customer.fields !== condition.present)
        return false;
    }
    return true;
  }
}

/**
 * The filter as sent, checked: known keys only, known fields, and conditions only on fields the
 * role may see. There are no conditions on values: the filter is kept in the export's events, and
 * a value to match (an email, a name) would put a personal value in the audit log in clear.
 */
export function parseFilter(
  raw: Record<string, unknown> | undefined,
  known: ReadonlySet<string>,
  maskOf: (field: string) => Mask,
): ExportFilter {
  if (raw === undefined) return {};
  const filter: ExportFilter = {};
  for (const [key, value] of Object.entries(raw)) {
    switch (key) {
      case 'source':
        if (!isClosedFormat(value, SOURCE_SLUG))
          throw invalid(
            'filter.source',
            'must be a source name: 1-64 lowercase letters, digits, ".", "_" or "-", with no phone number in it',
          );
        filter.source = value;
        break;
      case 'registeredAfter':
      case 'registeredBefore': {
        const at = typeof value === 'string' ? parseIsoTimestamp(value) : null;
        if (!at) throw invalid(`filter.${key}`, 'must be an ISO-8601 timestamp with a time zone');
        filter[key] = at.toISOString();
        break;
      }
      case 'fields': {
        if (!value || typeof value !== 'object' || Array.isArray(value))
          throw invalid('filter.fields', 'must map field names to conditions');
        filter.fields = {};
        for (const [field, condition] of Object.entries(value as Record<string, unknown>)) {
          const at = `filter.fields.${field}`;
          if (!known.has(field)) throw invalid(at, 'is not a known field');
          const mask = maskOf(field);
          if (mask === 'hidden')
            throw new DomainError(
              'forbidden',
              at,
              'is a field this role may not see, so it may not filter on it',
            );
          if (!condition || typeof condition !== 'object' || Array.isArray(condition))
            throw invalid(at, 'must be a condition: { present: true | false }');
          const c = condition as Record<string, unknown>;
          const parsed: { present?: boolean } = {};
          for (const [op, operand] of Object.entries(c)) {
            if (op === 'present') {
              if (typeof operand !== 'boolean')
                throw invalid(`${at}.present`, 'must be true or false');
              parsed.present = operand;
            } else
              throw invalid(
                `${at}.${op}`,
                'is not a condition: only present is offered (a value to match would be a personal value in the audit log)',
              );
          }
          if (Object.keys(parsed).length === 0) throw invalid(at, 'must hold a condition');
          filter.fields[field] = parsed;
        }
        break;
      }
      default:
        throw invalid(
          `filter.${key}`,
          'is not a filter (source, registeredAfter, registeredBefore, fields)',
        );
    }
  }
  return filter;
}
