import { gone, notFound, REDACTION_MAPPING_FIELD } from '@custodian/domain';
import {
  AccessRecorder,
  ActorLimits,
  CommandExecutor,
  ErasureLedger,
  FieldVault,
  type CommandMeta,
  type RequestActor,
} from '@custodian/platform';
import { maskValue, type RoleRules } from '@custodian/policy';
import { restore } from '@custodian/redaction';
import { ConflictException, GoneException } from '@nestjs/common';
import { Command, CommandHandler, QueryBus, type ICommandHandler } from '@nestjs/cqrs';
import { readRefusal } from '../access/access-refusal';
import { CustomerCardQuery } from '../access/customer-card.query';
import { RolePolicyQuery } from '../access/role-policy.query';
import { CurrentPurposeQuery } from '../purposes/current-purpose.query';
import { auditRefusal } from './ai-refusal';
import { RedactionQuery } from './ai.queries';

export interface RestoreAnswer {
  redactionId: string;
  text: string;
}

/**
 * Puts the customer's values back into a model's answer (issue 17): a read of the customer,
 * checked like a view for the redaction's purpose (the purpose's allowed roles, the role
 * policy, consent), refused and audited otherwise; the access record (`via: restore`) is
 * appended before the mapping is decrypted. Expired: 410. Erased: 410, nothing restored (the
 * mapping was sealed under the customer's key, which the erasure destroyed).
 */
export class RestoreTextCommand extends Command<RestoreAnswer> {
  constructor(
    readonly redactionId: string,
    readonly text: string,
    readonly meta: CommandMeta & { actor: RequestActor },
  ) {
    super();
  }
}

@CommandHandler(RestoreTextCommand)
export class RestoreTextHandler implements ICommandHandler<RestoreTextCommand> {
  constructor(
    private readonly queries: QueryBus,
    private readonly recorder: AccessRecorder,
    private readonly commands: CommandExecutor,
    private readonly vault: FieldVault,
    private readonly erasures: ErasureLedger,
    private readonly limits: ActorLimits,
  ) {}

  async execute({ redactionId, text, meta }: RestoreTextCommand): Promise<RestoreAnswer> {
    const redaction = await this.queries.execute(new RedactionQuery(redactionId));
    if (!redaction) throw notFound('redactionId', `redaction ${redactionId} is not recorded`);
    const { subjectId, mapping, purposeId } = redaction;
    if (subjectId === null || mapping === null)
      throw new ConflictException({
        message: 'nothing to restore: the redaction named no customer, so no mapping was kept',
        details: [{ field: 'redactionId', problem: 'no_mapping_kept' }],
      });
    const card = await this.queries.execute(new CustomerCardQuery(subjectId));
    if (!card || card.erased || (await this.erasures.isErased(subjectId))) throw gone(subjectId);
    const [policy, purpose] = await Promise.all([
      this.queries.execute(new RolePolicyQuery()),
      this.queries.execute(new CurrentPurposeQuery(purposeId)),
    ]);
    const rules = policy.roles[meta.actor.role as keyof typeof policy.roles];
    const refusal = readRefusal(
      rules,
      meta.actor.role,
      purpose,
      purposeId,
      card.consents,
      meta.now,
    );
    if (refusal) await auditRefusal(this.commands, subjectId, purposeId, refusal, meta);
    if (redaction.expiresAt === null || meta.now.toISOString() >= redaction.expiresAt)
      throw new GoneException({
        message: `the mapping of redaction ${redactionId} expired at ${redaction.expiresAt}`,
        details: [{ field: 'redactionId', problem: 'mapping_expired' }],
      });
    await this.limits.admitReads(meta.actor, [subjectId], meta.now);
    const receipt = await this.recorder.record(
      {
        type: 'FieldsAccessed',
        data: {
          subjectId,
          actorId: meta.actor.id,
          role: meta.actor.role,
          purposeId,
          via: 'restore',
          fields: [{ name: REDACTION_MAPPING_FIELD, mask: 'full' }],
          policyVersion: policy.version,
          requestId: meta.requestId,
          at: meta.now.toISOString(),
        },
      },
      meta,
    );
    const opened = await this.vault.decrypt(receipt, { [REDACTION_MAPPING_FIELD]: mapping.sealed });
    if (opened === null) throw gone(subjectId);
    const plain = JSON.parse(opened[REDACTION_MAPPING_FIELD]) as {
      redactionId: string;
      mapping: Record<string, string>;
    };
    // The mapping names its redaction: a sealed mapping copied into another record opens nothing.
    if (plain.redactionId !== redactionId) throw gone(subjectId);
    return { redactionId, text: restore(text, masked(plain.mapping, rules)) };
  }
}

/** The profile field each placeholder type of a customer's own values stands for. */
const FIELD_OF_TYPE: Readonly<Record<string, string>> = {
  NAME: 'name',
  EMAIL: 'email',
  PHONE: 'phone',
  ADDRESS: 'address',
  BIRTHDATE: 'birthDate',
};

/**
 * The mapping as the role may see it, like `/view`: each value under its field's mask (other
 * types, such as cards, under the role's `otherFields`); a hidden one keeps its placeholder.
 */
function masked(mapping: Record<string, string>, rules: RoleRules): Record<string, string> {
  const shown: Record<string, string> = {};
  for (const [placeholder, value] of Object.entries(mapping)) {
    const type = /^\[([A-Z]+)_\d+\]$/.exec(placeholder)?.[1] ?? '';
    const field = FIELD_OF_TYPE[type];
    const mask = (field && rules.fields[field]) || rules.otherFields;
    const out = maskValue(field ?? type.toLowerCase(), value, mask);
    if (out !== null) shown[placeholder] = out;
  }
  return shown;
}
