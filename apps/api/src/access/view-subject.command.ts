import { gone, grantedPurposeFlags, notFound, effectiveStatus } from '@custodian/domain';
import {
  ActorLimits,
  ErasureLedger,
  FieldVault,
  type CommandMeta,
  type RequestActor,
} from '@custodian/platform';
import { customerView, viewMasks, type Mask } from '@custodian/policy';
import { BadRequestException, ForbiddenException } from '@nestjs/common';
import { Command, CommandHandler, QueryBus, type ICommandHandler } from '@nestjs/cqrs';
import { AllPurposesQuery } from '../purposes/all-purposes.query';
import { CurrentPurposeQuery } from '../purposes/current-purpose.query';
import { readRefusal } from './access-refusal';
import { AccessService } from './access.service';

export interface CustomerViewAnswer {
  subjectId: string;
  purposeId: string;
  role: string;
  policyVersion: number;
  fields: Record<string, string>;
  masks: Record<string, Mask>;
  consents: Array<{ purposeId: string; status: string }>;
}

/**
 * The audited read: the customer as the caller's role may see them for the declared purpose
 * (`purposeId` null when none or a malformed one was declared: refused, and audited). It is a
 * command because it writes: the access record, before any value leaves.
 */
export class ViewSubjectCommand extends Command<CustomerViewAnswer> {
  constructor(
    readonly subjectId: string,
    readonly purposeId: string | null,
    readonly meta: CommandMeta & { actor: RequestActor },
  ) {
    super();
  }
}

@CommandHandler(ViewSubjectCommand)
export class ViewSubjectHandler implements ICommandHandler<ViewSubjectCommand> {
  constructor(
    private readonly access: AccessService,
    private readonly queries: QueryBus,
    private readonly vault: FieldVault,
    private readonly erasures: ErasureLedger,
    private readonly limits: ActorLimits,
  ) {}

  async execute({ subjectId, purposeId, meta }: ViewSubjectCommand): Promise<CustomerViewAnswer> {
    const card = await this.access.card(subjectId);
    if (!card) throw notFound('subjectId', `subject ${subjectId} is not registered`);
    // The card may lag the log; the log decides, even while the key still exists.
    if (card.erased || (await this.erasures.isErased(subjectId))) throw gone(subjectId);

    const policy = await this.access.policy();
    const rules = policy.roles[meta.actor.role];
    const purpose =
      purposeId === null ? null : await this.queries.execute(new CurrentPurposeQuery(purposeId));
    const all = [...(await this.queries.execute(new AllPurposesQuery())).values()];
    const refusal = readRefusal(
      rules,
      meta.actor.role,
      purpose,
      purposeId,
      card.consents,
      meta.now,
    );
    if (refusal) {
      await this.access.audit(subjectId, meta, {
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
    // The masks follow from the field names and consents alone: the access record naming them
    // is appended first, and only what it says is shown is decrypted, against its receipt.
    const shownRules = { ...rules, fields: masks, otherFields: 'hidden' as Mask };
    const flags = grantedPurposeFlags(card.consents, all, meta.now);
    const shown = viewMasks(shownRules, Object.keys(card.fields), flags);
    // A read that would take the actor past a suspend rule's threshold is not served.
    await this.limits.admitReads(meta.actor, [subjectId], meta.now);
    const receipt = await this.access.auditRead(
      {
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
      },
      meta,
    );
    const visible = Object.fromEntries(
      Object.entries(card.fields).filter(([f]) => shown[f] !== 'hidden'),
    );
    const values = await this.vault.decrypt(receipt, visible);
    if (values === null) throw gone(subjectId);
    const view = customerView(shownRules, values, flags);
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
}
