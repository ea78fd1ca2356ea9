import {
  consentDecider,
  consentStream,
  effectiveStatus,
  fold,
  notFound,
  gone,
  subjectDecider,
  subjectStream,
  type ConsentEvent,
  type PurposeState,
  type SubjectEvent,
} from '@custodian/domain';
import { EVENT_STORE, type EventStore } from '@custodian/event-store';
import {
  FieldVault,
  toNewEvent,
  WriteTracker,
  type CommandMeta,
  type RequestActor,
} from '@custodian/platform';
import {
  customerView,
  policyAt,
  publishPolicy,
  ROLE_POLICY_STREAM,
  type RolePolicy,
  type RolePolicyPublished,
  type RoleRules,
  type Role,
} from '@custodian/policy';
import {
  BadRequestException,
  ForbiddenException,
  Inject,
  Injectable,
  ServiceUnavailableException,
} from '@nestjs/common';
import { PurposesService } from '../purposes/purposes.service';
import { accessStream, type AccessEvent } from './access.events';

const POLICY_CACHE_MS = 1000;

/**
 * Reads of personal values are audited by construction: the same request that returns a
 * customer's values appends `FieldsAccessed`, and if that append fails nothing is returned.
 * A refused read appends `AccessDenied` with its reason.
 */
@Injectable()
export class AccessService {
  private policyCache: { policy: RolePolicy; generation: number; at: number } | null = null;

  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    private readonly vault: FieldVault,
    private readonly purposes: PurposesService,
    private readonly writes: WriteTracker,
  ) {}

  /** The customer as the caller's role may see them for the declared purpose. */
  /** `purposeId` is null when the caller declared none (or a malformed one): refused, and audited. */
  async view(
    subjectId: string,
    purposeId: string | null,
    meta: CommandMeta & { actor: RequestActor },
  ) {
    const history = (await this.events.readStream(
      subjectStream(subjectId),
    )) as unknown as SubjectEvent[];
    const subject = fold(subjectDecider, history);
    if (!subject) throw notFound('subjectId', `subject ${subjectId} is not registered`);
    if (subject.erased) throw gone(subjectId);

    const policy = await this.policy();
    const rules = policy.roles[meta.actor.role];
    const purpose = purposeId === null ? null : await this.purposes.current(purposeId);
    const all = [...(await this.purposes.all()).values()];
    const consents = fold(
      consentDecider,
      (await this.events.readStream(consentStream(subjectId))) as unknown as ConsentEvent[],
    );
    const refusal = this.refusal(
      rules,
      meta.actor.role,
      purpose,
      purposeId,
      consents.purposes,
      meta.now,
    );
    if (refusal) {
      await this.append(subjectId, meta, {
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

    const values = await this.vault.decrypt(subjectId, subject.fields);
    if (values === null) throw gone(subjectId);
    const grantedFlags = new Set<string>();
    for (const p of all) {
      if (
        p.status !== 'active' ||
        effectiveStatus(consents.purposes[p.purposeId], p, meta.now) !== 'granted'
      )
        continue;
      for (const [flag, on] of Object.entries(p.flags)) if (on) grantedFlags.add(flag);
    }
    const view = customerView(rules, values, grantedFlags);
    await this.append(subjectId, meta, {
      type: 'FieldsAccessed',
      data: {
        subjectId,
        actorId: meta.actor.id,
        role: meta.actor.role,
        purposeId: purposeId!,
        via: 'view',
        fields: Object.entries(view.masks).map(([name, mask]) => ({ name, mask })),
        policyVersion: policy.version,
        requestId: meta.requestId,
        at: meta.now.toISOString(),
      },
    });
    const badges = all
      .filter((p) => p.status === 'active')
      .map((p) => ({
        purposeId: p.purposeId,
        status: effectiveStatus(consents.purposes[p.purposeId], p, meta.now),
      }));
    return {
      subjectId,
      purposeId: purposeId!,
      role: meta.actor.role,
      policyVersion: policy.version,
      fields: view.fields,
      masks: view.masks,
      consents: badges,
    };
  }

  /** One audit record per customer a lookup returned (the lookup itself shows no values). */
  async auditLookup(subjectIds: readonly string[], purposeId: string, meta: CommandMeta) {
    for (const subjectId of subjectIds) {
      await this.append(subjectId, meta, {
        type: 'FieldsAccessed',
        data: {
          subjectId,
          actorId: meta.actor.id,
          role: meta.actor.role,
          purposeId,
          via: 'lookup',
          fields: [],
          policyVersion: (await this.policy()).version,
          requestId: meta.requestId,
          at: meta.now.toISOString(),
        },
      });
    }
  }

  /** Who read or was refused this customer's data, when, in which role, for what purpose, which fields. */
  async accessLog(subjectId: string) {
    const events = (await this.events.readStream(
      accessStream(subjectId),
    )) as unknown as AccessEvent[];
    return events.map((e) =>
      e.type === 'FieldsAccessed'
        ? {
            at: e.data.at,
            outcome: 'granted',
            actorId: e.data.actorId,
            role: e.data.role,
            purposeId: e.data.purposeId,
            via: e.data.via,
            fields: e.data.fields,
          }
        : {
            at: e.data.at,
            outcome: 'denied',
            actorId: e.data.actorId,
            role: e.data.role,
            purposeId: e.data.purposeId,
            reason: e.data.reason,
          },
    );
  }

  async policy(at?: Date): Promise<RolePolicy> {
    if (at) return policyAt(await this.policyEvents(), at);
    const generation = this.writes.generation('policy');
    const cached = this.policyCache;
    if (cached && cached.generation === generation && Date.now() - cached.at < POLICY_CACHE_MS)
      return cached.policy;
    const policy = policyAt(await this.policyEvents(), new Date());
    this.policyCache = { policy, generation, at: Date.now() };
    return policy;
  }

  async publishPolicy(roles: Record<Role, RoleRules>, meta: CommandMeta): Promise<RolePolicy> {
    const events = await this.policyEvents();
    const last = (
      await this.events.readStream(ROLE_POLICY_STREAM, { direction: 'backwards', maxCount: 1 })
    )[0];
    const event = publishPolicy(policyAt(events, meta.now), roles, meta.now);
    const result = await this.events.append(ROLE_POLICY_STREAM, [toNewEvent(event, meta)], {
      expectedRevision: last ? last.revision : 'no_stream',
    });
    this.writes.recordAppend(ROLE_POLICY_STREAM, result.position);
    return { version: event.data.version, roles };
  }

  private async policyEvents(): Promise<RolePolicyPublished[]> {
    return (await this.events.readStream(ROLE_POLICY_STREAM)) as unknown as RolePolicyPublished[];
  }

  private refusal(
    rules: RoleRules,
    role: string,
    purpose: PurposeState | null,
    purposeId: string | null,
    consents: Record<string, Parameters<typeof effectiveStatus>[0]>,
    now: Date,
  ): string | null {
    if (purposeId === null) return 'no_purpose_declared';
    if (!purpose) return 'unknown_purpose';
    if (purpose.status !== 'active') return 'purpose_inactive';
    if (!rules.mayReadCustomers) return 'role_may_not_read_customers';
    if (!purpose.allowedRoles.includes(role as Role) && role !== 'admin' && role !== 'dpo')
      return 'role_may_not_declare_purpose';
    if (
      purpose.legalBasis === 'consent' &&
      effectiveStatus(consents[purpose.purposeId], purpose, now) !== 'granted'
    )
      return 'no_consent_for_purpose';
    return null;
  }

  /** The audit record is written before any value leaves; if it cannot be, neither can the values. */
  private async append(subjectId: string, meta: CommandMeta, event: AccessEvent): Promise<void> {
    try {
      const result = await this.events.append(accessStream(subjectId), [toNewEvent(event, meta)]);
      this.writes.recordAppend(accessStream(subjectId), result.position);
    } catch {
      throw new ServiceUnavailableException(
        'the read could not be audited, so no data is returned; try again',
      );
    }
  }
}
