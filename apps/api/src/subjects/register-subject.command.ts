import { subjectDecider, subjectStream, type DuplicateOf } from '@custodian/domain';
import { deterministicEventId, newEventId } from '@custodian/event-store';
import { canonicalJson, CommandExecutor, FieldVault, type CommandMeta } from '@custodian/platform';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { createHash } from 'node:crypto';
import { SubjectsService } from './subjects.service';

export interface SubjectRegistration {
  subjectId: string;
  revision: bigint;
  /** True when an Idempotency-Key retry found the original registration. */
  replayed: boolean;
}

/**
 * A new customer with their profile, encrypted under a data key of their own. Refused (409)
 * when another live customer holds the email or phone, unless `duplicateOf` names that
 * customer and says why a separate record is kept.
 */
export class RegisterSubjectCommand extends Command<SubjectRegistration> {
  constructor(
    readonly profile: Record<string, unknown>,
    readonly source: string,
    readonly meta: CommandMeta,
    readonly duplicateOf?: DuplicateOf,
  ) {
    super();
  }
}

@CommandHandler(RegisterSubjectCommand)
export class RegisterSubjectHandler implements ICommandHandler<RegisterSubjectCommand> {
  constructor(
    private readonly commands: CommandExecutor,
    private readonly vault: FieldVault,
    private readonly subjects: SubjectsService,
  ) {}

  async execute({
    profile,
    source,
    meta,
    duplicateOf,
  }: RegisterSubjectCommand): Promise<SubjectRegistration> {
    const values = await this.subjects.checked(profile, false, meta.now);
    // A keyed request names the same subject on every retry, so the retry finds the original.
    const subjectId = meta.idempotencyKey
      ? deterministicEventId(
          createHash('sha256')
            .update(`subject\n${meta.actor.id}\n${meta.idempotencyKey}`)
            .digest('hex'),
          0,
        )
      : newEventId();
    // A replayed registration finds itself, which is no duplicate.
    await this.subjects.refuseDuplicates(values, subjectId, duplicateOf, meta.actor.role);
    const keyed = meta.idempotencyKey
      ? {
          ...meta,
          // Keyed by the customer's own data key, so erasure shreds the body's fingerprint too.
          requestHash: await this.vault.requestDigest(
            subjectId,
            canonicalJson({ profile, source, ...(duplicateOf ? { duplicateOf } : {}) }),
          ),
        }
      : meta;
    const { keyId, fields } = await this.vault.encrypt(subjectId, values as Record<string, string>);
    const outcome = await this.commands.execute(
      subjectStream(subjectId),
      subjectDecider,
      {
        type: 'RegisterSubject',
        subjectId,
        keyId,
        source,
        fields,
        ...(duplicateOf ? { duplicateOf } : {}),
      },
      () => ({ now: meta.now }),
      keyed,
    );
    if (!outcome.replayed) await this.subjects.indexLookups(subjectId, values, outcome.revision!);
    return { subjectId, revision: outcome.revision!, replayed: outcome.replayed };
  }
}
