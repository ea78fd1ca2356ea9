import {
  catalogueFields,
  DomainError,
  grantedPurposeFlags,
  invalid,
  type PurposeState,
} from '@custodian/domain';
import {
  AccessRecorder,
  ActorLimits,
  FieldVault,
  ProjectionReader,
  WriteTracker,
  type AccessReceipt,
  type CommandMeta,
  type RequestActor,
} from '@custodian/platform';
import {
  customerView,
  mayDeclarePurpose,
  viewMasks,
  type Mask,
  type RoleRules,
} from '@custodian/policy';
import type { CustomerViewsDocument } from '@custodian/projections';
import { READ_STORE, type ReadStore } from '@custodian/read-store';
import { Inject, Injectable } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { RolePolicyQuery } from '../access/role-policy.query';
import { AllPurposesQuery } from '../purposes/all-purposes.query';
import { FieldCatalogueQuery } from '../subjects/field-catalogue.query';

/** Access records of an audience are appended this many at a time (as an export's rows are). */
const AUDIT_CHUNK = 500;

/** One allowed customer's contact values, as the caller's role may see them. */
export interface AudienceMember {
  subjectId: string;
  /** The requested fields the customer holds and the role is shown (masked if partial). */
  fields: Record<string, string>;
  masks: Record<string, Mask>;
}

/** The fields a gate request asks for, checked against the catalogue, the purpose and the role. */
export interface AudiencePlan {
  include: string[];
  rules: RoleRules;
  policyVersion: number;
}

/**
 * The mailer's journey in one call: the contact values of the customers the consent gate
 * allows. Each customer returned is one audited read (`FieldsAccessed`, via `gate`), appended
 * before anything of theirs is decrypted; the role and the purpose are checked as for a view,
 * and a field the role may not see is refused for the whole request (403 naming it). A field
 * the role sees only in part comes back masked, as on the customer card.
 */
@Injectable()
export class GateAudience {
  constructor(
    private readonly queries: QueryBus,
    private readonly projections: ProjectionReader,
    @Inject(READ_STORE) private readonly reads: ReadStore,
    private readonly writes: WriteTracker,
    private readonly recorder: AccessRecorder,
    private readonly vault: FieldVault,
    private readonly limits: ActorLimits,
  ) {}

  /** Checks the request before the gate runs: nothing is read or written if it is refused. */
  async plan(
    purpose: PurposeState,
    include: readonly string[],
    actor: RequestActor,
  ): Promise<AudiencePlan> {
    const catalogue = catalogueFields(await this.queries.execute(new FieldCatalogueQuery()));
    include.forEach((name, i) => {
      const field = catalogue[name];
      if (!field) throw invalid(`include.${i}`, `"${name}" is not a field of the catalogue`);
      if (field.category !== 'contact')
        throw invalid(
          `include.${i}`,
          `"${name}" is not a contact field (only fields of category "contact" are offered)`,
        );
    });
    const policy = await this.queries.execute(new RolePolicyQuery());
    const rules = policy.roles[actor.role as keyof typeof policy.roles];
    if (!rules?.mayReadCustomers)
      throw forbidden('include', `role ${actor.role} may not read customers' values`);
    if (!mayDeclarePurpose(actor.role, purpose))
      throw forbidden(
        'purposeId',
        `role ${actor.role} may not declare purpose "${purpose.purposeId}" to read customers`,
      );
    include.forEach((name, i) => {
      if ((rules.fields[name] ?? rules.otherFields) === 'hidden')
        throw forbidden(`include.${i}`, `role ${actor.role} may not see field "${name}"`);
      if (!purpose.assessment.minimumFields.includes(name))
        throw forbidden(
          `include.${i}`,
          `purpose "${purpose.purposeId}" does not use field "${name}" (its assessment's minimumFields)`,
        );
    });
    return { include: [...include], rules, policyVersion: policy.version };
  }

  /**
   * The allowed customers' values: records first (in chunks), then each customer's values
   * decrypted against their own record's receipt. Customers with no profile, or none of the
   * requested fields shown to the role, are not read and not returned; those erased since the
   * gate checked them come back in `erased`.
   */
  async members(
    plan: AudiencePlan,
    purposeId: string,
    allowed: readonly string[],
    meta: CommandMeta & { actor: RequestActor },
  ): Promise<{ members: AudienceMember[]; erased: string[] }> {
    const cards = await this.cards(allowed);
    const { rules } = plan;
    const active = [...(await this.queries.execute(new AllPurposesQuery())).values()].filter(
      (p) => p.status === 'active',
    );
    const at = meta.now.toISOString();
    const selected: Array<{
      subjectId: string;
      masks: Record<string, Mask>;
      encrypted: Record<string, string>;
      flags: ReadonlySet<string>;
    }> = [];
    for (const subjectId of allowed) {
      const card = cards.get(subjectId);
      if (!card?.registered || card.erased) continue;
      const flags = grantedPurposeFlags(card.consents, active, at);
      const held = plan.include.filter((f) => f in card.fields);
      const masks = viewMasks(rules, held, flags);
      const encrypted = Object.fromEntries(
        held.filter((f) => masks[f] !== 'hidden').map((f) => [f, card.fields[f]]),
      );
      if (Object.keys(encrypted).length === 0) continue;
      selected.push({ subjectId, masks, encrypted, flags });
    }
    // A read that would take the actor past a suspend rule's threshold is not served at all.
    await this.limits.admitReads(
      meta.actor,
      selected.map((s) => s.subjectId),
      meta.now,
    );
    const members: AudienceMember[] = [];
    const erased: string[] = [];
    for (let start = 0; start < selected.length; start += AUDIT_CHUNK) {
      const chunk = selected.slice(start, start + AUDIT_CHUNK);
      const receipts = await Promise.all(
        chunk.map((customer) => this.audit(customer, plan, purposeId, meta)),
      );
      for (const [i, customer] of chunk.entries()) {
        const values = await this.vault.decrypt(receipts[i], customer.encrypted);
        if (values === null) {
          erased.push(customer.subjectId);
          continue;
        }
        const view = customerView(rules, values, customer.flags);
        members.push({ subjectId: customer.subjectId, fields: view.fields, masks: customer.masks });
      }
    }
    return { members, erased };
  }

  private audit(
    customer: { subjectId: string; masks: Record<string, Mask> },
    plan: AudiencePlan,
    purposeId: string,
    meta: CommandMeta & { actor: RequestActor },
  ): Promise<AccessReceipt> {
    return this.recorder.record(
      {
        type: 'FieldsAccessed',
        data: {
          subjectId: customer.subjectId,
          actorId: meta.actor.id,
          role: meta.actor.role,
          purposeId,
          via: 'gate',
          fields: Object.entries(customer.masks).map(([name, mask]) => ({ name, mask })),
          policyVersion: plan.policyVersion,
          requestId: meta.requestId,
          at: meta.now.toISOString(),
        },
      },
      meta,
    );
  }

  /** The customers' cards (ciphertext per field, consents), once they hold this process's writes. */
  private async cards(ids: readonly string[]): Promise<Map<string, CustomerViewsDocument>> {
    const own = [this.writes.lastPosition('subject'), this.writes.lastPosition('consent')].filter(
      (p): p is string => p !== undefined,
    );
    for (const position of own) await this.projections.catchUp('customer_views', { position });
    const collection = await this.projections.collection('customer_views');
    const found = await this.reads.getMany(collection, ids);
    return found as Map<string, CustomerViewsDocument>;
  }
}

function forbidden(field: string, message: string): DomainError {
  return new DomainError('forbidden', field, message);
}
