import {
  effectiveStatus,
  gone,
  grantedPurposeFlags,
  notFound,
  type PurposeConsent,
  type PurposeState,
} from '@custodian/domain';
import { EVENT_STORE, type EventStore } from '@custodian/event-store';
import {
  CLOCK,
  CommandExecutor,
  FieldVault,
  ProjectionReader,
  WriteTracker,
  type Clock,
  type CommandMeta,
  type RequestActor,
} from '@custodian/platform';
import {
  customerView,
  mayDeclarePurpose,
  policyAt,
  ROLE_POLICY_STREAM,
  type Mask,
  type Role,
  type RolePolicy,
  type RolePolicyPublished,
  type RoleRules,
} from '@custodian/policy';
import type { CustomerViewsDocument } from '@custodian/projections';
import { READ_STORE, type ReadStore } from '@custodian/read-store';
import {
  BadRequestException,
  ForbiddenException,
  Inject,
  Injectable,
  NotFoundException,
  ServiceUnavailableException,
} from '@nestjs/common';
import { PurposesService } from '../purposes/purposes.service';
import { accessStream, type AccessEvent } from '@custodian/domain';
import { rolePolicyDecider } from './role-policy.decider';

const POLICY_CACHE_MS = 1000;

/**
 * Reads of personal values are audited by construction: the same request that returns a
 * customer's values appends `FieldsAccessed`, and if that append fails nothing is returned.
 * A refused read appends `AccessDenied` with its reason. The customer card comes from the
 * customer_views projection (per role: visible fields as ciphertext, masks, consent badges).
 */
@Injectable()
export class AccessService {
  private policyCache: { policy: RolePolicy; generation: number; at: number } | null = null;

  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Inject(READ_STORE) private readonly reads: ReadStore,
    private readonly vault: FieldVault,
    private readonly purposes: PurposesService,
    private readonly writes: WriteTracker,
    private readonly projections: ProjectionReader,
    private readonly commands: CommandExecutor,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * The customer as the caller's role may see them for the declared purpose. `purposeId` is
   * null when the caller declared none (or a malformed one): refused, and audited.
   */
  async view(
    subjectId: string,
    purposeId: string | null,
    meta: CommandMeta & { actor: RequestActor },
  ) {
    const card = await this.card(subjectId);
    if (!card) throw notFound('subjectId', `subject ${subjectId} is not registered`);
    if (card.erased) throw gone(subjectId);

    const policy = await this.policy();
    const rules = policy.roles[meta.actor.role];
    const purpose = purposeId === null ? null : await this.purposes.current(purposeId);
    const all = [...(await this.purposes.all()).values()];
    const refusal = this.refusal(
      rules,
      meta.actor.role,
      purpose,
      purposeId,
      card.consents,
      meta.now,
    );
    if (refusal) {
      await this.audit(subjectId, meta, {
        type: 'AccessDenied',
        data: {
          subjectId,
          actorId: meta.actor.id,
          role: meta.actor.role,
          purposeId: purposeId ?? '',
          reason: refusal,
          requestId: meta.requestId,
          at: meta.now.toISOString(),
        },
      });
      const body = {
        message: `access refused: ${refusal}`,
        details: [{ field: 'purpose', problem: refusal }],
      };
      throw refusal === 'unknown_purpose' || refusal === 'no_purpose_declared'
        ? new BadRequestException(body)
        : new ForbiddenException(body);
    }

    // The card's masks were built for one policy version; while a newer one is being rebuilt,
    // the policy in force decides.
    const masks: Record<string, Mask> =
      card.policyVersion === policy.version && card.roles[meta.actor.role]
        ? card.roles[meta.actor.role]
        : Object.fromEntries(
            Object.keys(card.fields).map((f) => [f, rules.fields[f] ?? rules.otherFields]),
          );
    // Only what the role may see is decrypted.
    const visible = Object.fromEntries(
      Object.entries(card.fields).filter(([f]) => masks[f] !== 'hidden'),
    );
    const values = await this.vault.decrypt(subjectId, visible);
    if (values === null) throw gone(subjectId);
    const view = customerView(
      { ...rules, fields: masks, otherFields: 'hidden' },
      values,
      grantedPurposeFlags(card.consents, all, meta.now),
    );
    const shown: Record<string, Mask> = {
      ...Object.fromEntries(Object.keys(card.fields).map((f) => [f, 'hidden' as Mask])),
      ...view.masks,
    };
    await this.audit(subjectId, meta, {
      type: 'FieldsAccessed',
      data: {
        subjectId,
        actorId: meta.actor.id,
        role: meta.actor.role,
        purposeId: purposeId!,
        via: 'view',
        fields: Object.entries(shown).map(([name, mask]) => ({ name, mask })),
        policyVersion: policy.version,
        requestId: meta.requestId,
        at: meta.now.toISOString(),
      },
    });
    const badges = all
      .filter((p) => p.status === 'active')
      .map((p) => ({
        purposeId: p.purposeId,
        status: effectiveStatus(card.consents[p.purposeId], p, meta.now),
      }));
    return {
      subjectId,
      purposeId: purposeId!,
      role: meta.actor.role,
      policyVersion: policy.version,
      fields: view.fields,
      masks: shown,
      consents: badges,
    };
  }

  /** The customer's card from the customer_views projection, once it holds this process's own writes. */
  private async card(subjectId: string): Promise<CustomerViewsDocument | null> {
    const own = [this.writes.lastPosition('subject'), this.writes.lastPosition('consent')].filter(
      (p): p is string => p !== undefined,
    );
    const position = own.sort((a, b) => this.events.comparePositions(a, b)).at(-1);
    if (position) await this.projections.catchUp('customer_views', { position });
    const collection = await this.projections.collection('customer_views');
    const doc = (await this.reads.get(collection, subjectId)) as CustomerViewsDocument | null;
    return doc?.registered ? doc : null;
  }

  /** A lookup is refused for the same reasons as a read (before anyone is found, so not audited). */
  async assertMayLookUp(purposeId: string, role: Role): Promise<void> {
    const rules = (await this.policy()).roles[role];
    const purpose = await this.purposes.current(purposeId);
    const refusal = this.refusal(rules, role, purpose, purposeId, {}, this.clock.now(), false);
    if (!refusal) return;
    const body = {
      message: `lookup refused: ${refusal}`,
      details: [{ field: 'purpose', problem: refusal }],
    };
    throw refusal === 'unknown_purpose'
      ? new NotFoundException(body)
      : refusal === 'purpose_inactive'
        ? new BadRequestException(body)
        : new ForbiddenException(body);
  }

  /** One audit record per customer a lookup returned (the lookup itself shows no values). */
  async auditLookup(subjectIds: readonly string[], purposeId: string, meta: CommandMeta) {
    const { version } = await this.policy();
    // A lookup finds people whatever their consent; for a purpose that rests on consent, the
    // record says when the customer found had none, for the anomaly counters.
    const purpose = await this.purposes.current(purposeId);
    const lacking = new Set<string>();
    if (purpose?.legalBasis === 'consent' && subjectIds.length > 0) {
      const cards = await this.reads.getMany(
        await this.projections.collection('customer_views'),
        subjectIds,
      );
      for (const subjectId of subjectIds) {
        const card = cards.get(subjectId) as CustomerViewsDocument | undefined;
        if (effectiveStatus(card?.consents[purposeId], purpose, meta.now) !== 'granted')
          lacking.add(subjectId);
      }
    }
    for (const subjectId of subjectIds) {
      await this.audit(subjectId, meta, {
        type: 'FieldsAccessed',
        data: {
          subjectId,
          actorId: meta.actor.id,
          role: meta.actor.role,
          purposeId,
          via: 'lookup',
          fields: [],
          policyVersion: version,
          requestId: meta.requestId,
          at: meta.now.toISOString(),
          ...(lacking.has(subjectId) ? { withoutConsent: true } : {}),
        },
      });
    }
  }

  /** Who read or was refused this customer's data, when, in which role, for what purpose, which fields. */
  async accessLog(subjectId: string) {
    const events = (await this.events.readStream(
      accessStream(subjectId),
    )) as unknown as AccessEvent[];
    return events.map((e) => {
      switch (e.type) {
        case 'FieldsAccessed':
          return {
            at: e.data.at,
            outcome: 'granted',
            actorId: e.data.actorId,
            role: e.data.role,
            purposeId: e.data.purposeId,
            via: e.data.via,
            fields: e.data.fields,
          };
        case 'SubjectExported':
          return {
            at: e.data.at,
            outcome: 'exported',
            actorId: e.data.actorId,
            role: e.data.role,
            purposeId: e.data.purposeId,
            via: 'export',
            exportId: e.data.exportId,
            destination: e.data.destination,
            fields: e.data.fields,
          };
        case 'AccessDenied':
          return {
            at: e.data.at,
            outcome: 'denied',
            actorId: e.data.actorId,
            role: e.data.role,
            purposeId: e.data.purposeId,
            reason: e.data.reason,
          };
      }
    });
  }

  async policy(at?: Date): Promise<RolePolicy> {
    if (at) return policyAt(await this.policyEvents(), at);
    const generation = this.writes.generation('policy');
    const cached = this.policyCache;
    // The cache's age is wall time (how fresh another process's publication is), not app time.
    if (cached && cached.generation === generation && Date.now() - cached.at < POLICY_CACHE_MS)
      return cached.policy;
    const policy = policyAt(await this.policyEvents(), this.clock.now());
    this.policyCache = { policy, generation, at: Date.now() };
    return policy;
  }

  async publishPolicy(roles: Record<Role, RoleRules>, meta: CommandMeta): Promise<RolePolicy> {
    const outcome = await this.commands.execute(
      ROLE_POLICY_STREAM,
      rolePolicyDecider,
      { type: 'PublishRolePolicy', roles },
      () => ({ now: meta.now }),
      meta,
    );
    return { version: outcome.events[0].data.version as number, roles };
  }

  private async policyEvents(): Promise<RolePolicyPublished[]> {
    return (await this.events.readStream(ROLE_POLICY_STREAM)) as unknown as RolePolicyPublished[];
  }

  private refusal(
    rules: RoleRules,
    role: string,
    purpose: PurposeState | null,
    purposeId: string | null,
    consents: Record<string, PurposeConsent>,
    now: Date,
    /** A lookup finds people: consent to a purpose is checked per customer when they are read. */
    checkConsent = true,
  ): string | null {
    if (purposeId === null) return 'no_purpose_declared';
    if (!purpose) return 'unknown_purpose';
    if (purpose.status !== 'active') return 'purpose_inactive';
    if (!rules.mayReadCustomers) return 'role_may_not_read_customers';
    if (!mayDeclarePurpose(role, purpose)) return 'role_may_not_declare_purpose';
    if (
      checkConsent &&
      purpose.legalBasis === 'consent' &&
      effectiveStatus(consents[purpose.purposeId], purpose, now) !== 'granted'
    )
      return 'no_consent_for_purpose';
    return null;
  }

  /** The audit record is written before any value leaves; if it cannot be, neither can the values. */
  private async audit(subjectId: string, meta: CommandMeta, event: AccessEvent): Promise<void> {
    try {
      await this.commands.record(accessStream(subjectId), [event], meta);
    } catch {
      throw new ServiceUnavailableException(
        'the read could not be audited, so no data is returned; try again',
      );
    }
  }
}
