import { effectiveStatus, SUBJECT_ACCESS_PURPOSE, type LookupField } from '@custodian/domain';
import { ActorLimits, ProjectionReader, type CommandMeta } from '@custodian/platform';
import { roleMay, type Role } from '@custodian/policy';
import type { CustomerViewsDocument } from '@custodian/projections';
import { READ_STORE, type ReadStore } from '@custodian/read-store';
import { BadRequestException, ForbiddenException, Inject, NotFoundException } from '@nestjs/common';
import { Command, CommandHandler, QueryBus, type ICommandHandler } from '@nestjs/cqrs';
import { CurrentPurposeQuery } from '../purposes/current-purpose.query';
import { SubjectsByLookupQuery } from '../subjects/subjects-by-lookup.query';
import { readRefusal } from './access-refusal';
import { AccessService } from './access.service';

/**
 * Finds customers by email or phone for a declared purpose. Refused for the same reasons as a
 * read (before anyone is found, so not audited); finding a customer is a read of their data,
 * so each one found gets an access record.
 *
 * The built-in purpose `subject-access` is how a DPO (or admin: whoever may answer a subject
 * access request) finds the customer a privacy request is about: no business purpose is
 * declared, no consent is asked, and each customer found is recorded as a lookup under
 * `subject-access`. Other roles are refused it.
 */
export class LookUpSubjectsCommand extends Command<{
  purposeId: string;
  subjects: Array<{ subjectId: string }>;
}> {
  constructor(
    readonly field: LookupField,
    readonly value: string,
    readonly purposeId: string,
    readonly meta: CommandMeta,
  ) {
    super();
  }
}

@CommandHandler(LookUpSubjectsCommand)
export class LookUpSubjectsHandler implements ICommandHandler<LookUpSubjectsCommand> {
  constructor(
    private readonly access: AccessService,
    private readonly queries: QueryBus,
    private readonly projections: ProjectionReader,
    @Inject(READ_STORE) private readonly reads: ReadStore,
    private readonly limits: ActorLimits,
  ) {}

  async execute({ field, value, purposeId, meta }: LookUpSubjectsCommand) {
    const { version, roles } = await this.access.policy();
    const role = meta.actor.role as Role;
    const builtIn = purposeId === SUBJECT_ACCESS_PURPOSE;
    const purpose = builtIn ? null : await this.queries.execute(new CurrentPurposeQuery(purposeId));
    const refusal = builtIn
      ? roleMay(role, 'subjects.dsar')
        ? null
        : 'role_may_not_declare_purpose'
      : readRefusal(roles[role], role, purpose, purposeId, {}, meta.now, false);
    if (refusal) {
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
    const subjectIds = await this.queries.execute(new SubjectsByLookupQuery(field, value));
    // Each customer found is a read: none is served past a suspend rule's threshold.
    await this.limits.admitReads(meta.actor, subjectIds, meta.now);
    // A lookup finds people whatever their consent; for a purpose that rests on consent, the
    // record says when the customer found had none, for the anomaly counters.
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
      await this.access.audit(subjectId, meta, {
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
    return { purposeId, subjects: subjectIds.map((subjectId) => ({ subjectId })) };
  }
}
