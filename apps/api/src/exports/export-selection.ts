import {
  DomainError,
  effectiveStatus,
  grantedPurposeFlags,
  invalid,
  parseIsoTimestamp,
  type ExportFilter,
  type PurposeState,
} from '@custodian/domain';
import { FieldVault, ProjectionReader, type AccessReceipt } from '@custodian/platform';
import {
  customerView,
  isClosedFormat,
  SOURCE_SLUG,
  viewMasks,
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

/** A customer the export takes, before anything of theirs is decrypted. */
export interface SelectedCustomer {
  subjectId: string;
  /** Each requested field's mask for this customer (consent conditions applied). */
  masks: Record<string, Mask>;
  /** The requested fields the customer has and may be shown, as ciphertext. */
  encrypted: Record<string, string>;
  /** The purpose flags the customer's consents grant, for the role's consent conditions. */
  flags: ReadonlySet<string>;
}

export interface CustomerRow {
  /** The requested fields as the role may see them (null: not held, or not shown). */
  row: Record<string, string | null>;
  /** The real values of the shown fields (for sandbox shapes only). */
  values: Record<string, string>;
}

/**
 * Walks the customers an export may include: registered, not erased, with a lawful basis for
 * the purpose (a consent in force when the purpose rests on consent; otherwise no objection,
 * i.e. no revocation recorded for it), and matching the filter. Nothing is decrypted here: the
 * masks follow from the fields and consents, so each customer's `SubjectExported` record is
 * appended first and `row` decrypts against its receipt.
 */
@Injectable()
export class ExportSelection {
  constructor(
    @Inject(READ_STORE) private readonly reads: ReadStore,
    private readonly projections: ProjectionReader,
    private readonly vault: FieldVault,
    private readonly queries: QueryBus,
  ) {}

  /** The ids of the customers the plan takes now, sorted. */
  async subjectIds(plan: ExportPlan, now: Date): Promise<string[]> {
    const ids: string[] = [];
    for await (const customer of this.customers(plan, now)) ids.push(customer.subjectId);
    return ids.sort();
  }

  async *customers(plan: ExportPlan, now: Date): AsyncGenerator<SelectedCustomer> {
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
      const flags = grantedPurposeFlags(customer.consents, active, at);
      const masks = viewMasks(plan.rules, wanted, flags);
      const encrypted = Object.fromEntries(
        Object.entries(customer.fields).filter(
          ([f]) => wanted.includes(f) && masks[f] !== 'hidden',
        ),
      );
      yield { subjectId: customer.subjectId, masks, encrypted, flags };
    }
  }

  /**
   * The customer's row, decrypted against the receipt of their appended `SubjectExported`;
   * null when the customer has been erased since the selection read them.
   */
  async row(
    plan: ExportPlan,
    customer: SelectedCustomer,
    receipt: AccessReceipt,
  ): Promise<CustomerRow | null> {
    const values = await this.vault.decrypt(receipt, customer.encrypted);
    if (values === null) return null;
    const view = customerView(plan.rules, values, customer.flags);
    const row: Record<string, string | null> = {};
    for (const { name } of plan.fields) row[name] = view.fields[name] ?? null;
    return { row, values };
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
