import {
  catalogueFields,
  FIELD_CATALOGUE_STREAM,
  fieldCatalogueDecider,
  fold,
  gone,
  LOOKUP_FIELDS,
  notFound,
  subjectDecider,
  subjectStream,
  type CatalogueState,
  type FieldDeclared,
  type FieldDefinition,
  type LookupField,
  type SubjectEvent,
  type SubjectState,
} from '@custodian/domain';
import {
  deterministicEventId,
  EVENT_STORE,
  newEventId,
  type EventStore,
} from '@custodian/event-store';
import { KEY_STORE, type KeyStore } from '@custodian/crypto';
import {
  BlindIndex,
  CLOCK,
  CommandExecutor,
  CUSTODIAN_CONFIG,
  ErasureService,
  FieldVault,
  ProjectionReader,
  type Clock,
  type CommandMeta,
  type CustodianConfig,
} from '@custodian/platform';
import { checkpointName, ProjectionRunner, readCatalogEntry } from '@custodian/projections';
import { READ_STORE, type ReadStore } from '@custodian/read-store';
import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { PurposesService } from '../purposes/purposes.service';
import { checkProfile, type FieldProblem } from './profile-fields';
import type { ErasureRequestDto } from './subjects.dto';

@Injectable()
export class SubjectsService {
  constructor(
    private readonly executor: CommandExecutor,
    private readonly vault: FieldVault,
    private readonly blindIndex: BlindIndex,
    private readonly erasure: ErasureService,
    private readonly purposes: PurposesService,
    private readonly projections: ProjectionReader,
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Inject(READ_STORE) private readonly reads: ReadStore,
    @Inject(KEY_STORE) private readonly keyStore: KeyStore,
    @Inject(CUSTODIAN_CONFIG) private readonly config: CustodianConfig,
    private readonly runner: ProjectionRunner,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async register(profile: Record<string, unknown>, source: string, meta: CommandMeta) {
    const values = await this.checked(profile, false, meta.now);
    // A keyed request names the same subject on every retry, so the retry finds the original.
    const subjectId = meta.idempotencyKey
      ? deterministicEventId(
          createHash('sha256')
            .update(`subject\n${meta.actor.id}\n${meta.idempotencyKey}`)
            .digest('hex'),
          0,
        )
      : newEventId();
    const { keyId, fields } = await this.vault.encrypt(subjectId, values as Record<string, string>);
    const outcome = await this.executor.execute(
      subjectStream(subjectId),
      subjectDecider,
      { type: 'RegisterSubject', subjectId, keyId, source, fields },
      () => ({ now: meta.now }),
      meta,
    );
    if (!outcome.replayed) await this.indexLookups(subjectId, values, {});
    return { subjectId, revision: outcome.revision!, replayed: outcome.replayed };
  }

  async updateProfile(
    subjectId: string,
    profile: Record<string, unknown>,
    ifMatch: bigint | undefined,
    meta: CommandMeta,
  ) {
    const current = await this.current(subjectId);
    if (current.state.erased) throw gone(subjectId);
    const changes = await this.checked(profile, true, meta.now);
    const present = Object.fromEntries(
      Object.entries(changes).filter(([, v]) => v !== null),
    ) as Record<string, string>;
    const { keyId, fields } = await this.vault.encrypt(subjectId, present);
    const changed: Record<string, string | null> = { ...fields };
    for (const [name, value] of Object.entries(changes)) if (value === null) changed[name] = null;
    const previous =
      (await this.vault.decrypt(subjectId, pick(current.state.fields, LOOKUP_FIELDS))) ?? {};
    const outcome = await this.executor.execute(
      subjectStream(subjectId),
      subjectDecider,
      { type: 'UpdateProfile', subjectId, keyId, changed },
      () => ({ now: meta.now }),
      { ...meta, expectedRevision: ifMatch },
    );
    await this.indexLookups(subjectId, changes, previous);
    return { subjectId, revision: outcome.revision! };
  }

  /** Customers whose email or phone is exactly this value (after normalisation). */
  async lookup(field: LookupField, value: string): Promise<string[]> {
    const hash = this.vault.lookupHash(field, value);
    if (hash === null) {
      throw new BadRequestException({
        message: `invalid request: ${field} is not a valid ${field === 'email' ? 'email address' : 'phone number'}`,
        details: [{ field, problem: 'is not valid' }],
      });
    }
    const found = await this.blindIndex.find(field, hash);
    const live: string[] = [];
    for (const subjectId of found) {
      if ((await this.keyStore.destroyed(subjectId)) === null) live.push(subjectId);
    }
    return live;
  }

  async erase(subjectId: string, request: ErasureRequestDto, meta: CommandMeta) {
    await this.erasure.erase(subjectId, request, meta);
    return this.erasureReceipt(subjectId);
  }

  /** When, by whom, why, which key — and whether each projection has processed the erasure. */
  async erasureReceipt(subjectId: string) {
    // Nothing follows an erasure, so the last event says it all, however long the history.
    const [event] = await this.events.readStream(subjectStream(subjectId), {
      direction: 'backwards',
      maxCount: 1,
    });
    if (!event) throw notFound('subjectId', `subject ${subjectId} is not registered`);
    if (event.type !== 'SubjectErased')
      throw notFound('subjectId', `subject ${subjectId} has not been erased`);
    const data = (event as unknown as SubjectEvent & { type: 'SubjectErased' }).data;
    const tombstone = await this.keyStore.destroyed(subjectId);
    const projections = await Promise.all(
      this.runner.status().map(async ({ name }) => {
        const entry = await readCatalogEntry(this.reads, name);
        const checkpoint =
          entry && (await this.reads.getCheckpoint(checkpointName(entry.active.collection)));
        const processed =
          !!checkpoint && this.events.comparePositions(checkpoint.position, event.position) >= 0;
        return { name, processed };
      }),
    );
    return {
      subjectId,
      erasedAt: data.erasedAt,
      erasedBy: event.metadata.actor ?? null,
      reason: data.reason,
      requestedVia: data.requestedVia,
      keyId: data.keyId,
      keyDestroyedAt: tombstone?.destroyedAt ?? null,
      eventId: event.id,
      projections,
    };
  }

  /** Everything held about a customer, decrypted, for access and portability requests. */
  async subjectAccess(subjectId: string, consents: unknown, accessLog: unknown[]) {
    const { state } = await this.current(subjectId);
    if (state.erased) throw gone(subjectId);
    const values = await this.vault.decrypt(subjectId, state.fields);
    if (values === null) throw gone(subjectId);
    const catalogue = catalogueFields(await this.catalogue());
    return {
      subjectId,
      generatedAt: this.clock.now().toISOString(),
      controller: this.config.controller,
      profile: Object.fromEntries(
        Object.entries(values).map(([name, value]) => [
          name,
          { value, category: catalogue[name]?.category ?? 'unknown' },
        ]),
      ),
      source: state.source,
      registeredAt: state.registeredAt,
      consents,
      accessLog,
    };
  }

  async declareField(field: FieldDefinition, meta: CommandMeta) {
    const outcome = await this.executor.execute(
      FIELD_CATALOGUE_STREAM,
      fieldCatalogueDecider,
      { type: 'DeclareField', field },
      () => ({ now: meta.now }),
      meta,
    );
    return outcome.state[field.name];
  }

  async catalogue(): Promise<CatalogueState> {
    const history = await this.events.readStream(FIELD_CATALOGUE_STREAM);
    return fold(fieldCatalogueDecider, history as unknown as FieldDeclared[]);
  }

  /** The subject's state and stream revision, or 404. */
  async current(subjectId: string): Promise<{ state: SubjectState; revision: bigint }> {
    const history = await this.events.readStream(subjectStream(subjectId));
    const state = fold(subjectDecider, history as unknown as SubjectEvent[]);
    if (!state) throw notFound('subjectId', `subject ${subjectId} is not registered`);
    return { state, revision: history[history.length - 1].revision };
  }

  async isErased(subjectId: string): Promise<boolean> {
    return (await this.keyStore.destroyed(subjectId)) !== null;
  }

  private async checked(
    profile: Record<string, unknown>,
    allowRemoval: boolean,
    now: Date,
  ): Promise<Record<string, string | null>> {
    const [custom, justified] = await Promise.all([this.catalogue(), this.justifiedFields()]);
    const { values, problems } = checkProfile(profile, custom, justified, allowRemoval, now);
    if (problems.length > 0) throw invalidProfile(problems);
    if (Object.keys(values).length === 0 && allowRemoval)
      throw invalidProfile([{ field: 'profile', problem: 'changes nothing' }]);
    return values;
  }

  /** Fields some active purpose lists among its minimum fields. */
  private async justifiedFields(): Promise<Set<string>> {
    const ids = await this.purposes.allIds();
    const purposes = await Promise.all(ids.map((id) => this.purposes.current(id)));
    return new Set(
      purposes.filter((p) => p?.status === 'active').flatMap((p) => p!.assessment.minimumFields),
    );
  }

  private async indexLookups(
    subjectId: string,
    values: Record<string, string | null>,
    previous: Record<string, string>,
  ) {
    const add: Array<{ field: LookupField; hash: string }> = [];
    const remove: Array<{ field: LookupField; hash: string }> = [];
    for (const field of LOOKUP_FIELDS) {
      if (!(field in values)) continue;
      const old =
        previous[field] === undefined ? null : this.vault.lookupHash(field, previous[field]);
      if (old) remove.push({ field, hash: old });
      const value = values[field];
      const hash = value === null ? null : this.vault.lookupHash(field, value);
      if (hash) add.push({ field, hash });
    }
    await this.blindIndex.update(subjectId, add, remove);
  }
}

function pick(fields: Record<string, string>, names: readonly string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).filter(([name]) => names.includes(name)));
}

function invalidProfile(details: FieldProblem[]): BadRequestException {
  return new BadRequestException({
    message: `invalid request: ${details.map((d) => `${d.field} ${d.problem}`).join('; ')}`,
    details,
  });
}
