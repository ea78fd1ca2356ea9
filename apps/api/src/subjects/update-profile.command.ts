import { gone, subjectDecider, subjectStream, type DuplicateOf } from '@custodian/domain';
import { CommandExecutor, FieldVault, type CommandMeta } from '@custodian/platform';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { SubjectsService } from './subjects.service';

/**
 * Changes to a customer's profile (`null` removes a field), optionally at an If-Match revision.
 * An email or phone another live customer holds is refused (409) unless `duplicateOf` names
 * that customer and says why.
 */
export class UpdateProfileCommand extends Command<{ subjectId: string; revision: bigint }> {
  constructor(
    readonly subjectId: string,
    readonly profile: Record<string, unknown>,
    readonly ifMatch: bigint | undefined,
    readonly meta: CommandMeta,
    readonly duplicateOf?: DuplicateOf,
  ) {
    super();
  }
}

@CommandHandler(UpdateProfileCommand)
export class UpdateProfileHandler implements ICommandHandler<UpdateProfileCommand> {
  constructor(
    private readonly commands: CommandExecutor,
    private readonly vault: FieldVault,
    private readonly subjects: SubjectsService,
  ) {}

  async execute({ subjectId, profile, ifMatch, meta, duplicateOf }: UpdateProfileCommand) {
    const current = await this.subjects.current(subjectId);
    if (current.state.erased) throw gone(subjectId);
    const changes = await this.subjects.checked(profile, true, meta.now);
    await this.subjects.refuseDuplicates(changes, subjectId, duplicateOf, meta.actor.role);
    const present = Object.fromEntries(
      Object.entries(changes).filter(([, v]) => v !== null),
    ) as Record<string, string>;
    const { keyId, fields } = await this.vault.encrypt(subjectId, present);
    const changed: Record<string, string | null> = { ...fields };
    for (const [name, value] of Object.entries(changes)) if (value === null) changed[name] = null;
    const outcome = await this.commands.execute(
      subjectStream(subjectId),
      subjectDecider,
      { type: 'UpdateProfile', subjectId, keyId, changed, ...(duplicateOf ? { duplicateOf } : {}) },
      () => ({ now: meta.now }),
      { ...meta, expectedRevision: ifMatch },
    );
    // The index follows the log: this change is indexed as of the revision it was committed at.
    await this.subjects.indexLookups(subjectId, changes, outcome.revision!);
    return { subjectId, revision: outcome.revision! };
  }
}
