import {
  catalogueFields,
  FIELD_CATALOGUE_STREAM,
  fieldCatalogueDecider,
  fold,
  LOOKUP_FIELDS,
  notFound,
  subjectDecider,
  subjectStream,
  type CatalogueState,
  type DuplicateOf,
  type FieldDeclared,
  type LookupField,
  type SubjectEvent,
  type SubjectState,
} from '@custodian/domain';
import { EVENT_STORE, readTypedStream, type EventStore } from '@custodian/event-store';
import { KEY_STORE, type KeyStore } from '@custodian/crypto';
import {
  BlindIndex,
  CLOCK,
  CUSTODIAN_CONFIG,
  ErasureLedger,
  FieldVault,
  holdKeyName,
  LegalHolds,
  ProjectionReader,
  type Clock,
  type CustodianConfig,
} from '@custodian/platform';
import { checkpointName, ProjectionRunner, readCatalogEntry } from '@custodian/projections';
import { READ_STORE, type ReadStore } from '@custodian/read-store';
import { isRole, roleMay } from '@custodian/policy';
import { BadRequestException, ConflictException, Inject, Injectable } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { AllPurposesQuery } from '../purposes/all-purposes.query';
import { CurrentPurposeQuery } from '../purposes/current-purpose.query';
import { checkProfile, type FieldProblem } from './profile-fields';

export interface ErasureReceipt {
  subjectId: string;
  erasedAt: string;
  erasedBy: unknown;
  reason: string;
  requestedVia: string;
  keyId: string;
  keyDestroyedAt: string | null;
  eventId: string;
  projections: Array<{ name: string; processed: boolean }>;
  /**
   * What the erasure kept under a legal hold (field names, never values), for which purposes and
   * until when, and whether the hold has ended and its key been destroyed; null when nothing
   * was held.
   */
  legalHold: {
    fields: string[];
    purposes: Array<{
      purposeId: string;
      fields: string[];
      holdAfterBasisEnds: string;
      until: string;
    }>;
    until: string;
    keyId: string;
    endedAt: string | null;
    keyDestroyedAt: string | null;
  } | null;
}

/** Reads of customers (profiles, lookups, erasure receipts, subject access) and the profile checks commands share. */
@Injectable()
export class SubjectsService {
  constructor(
    private readonly vault: FieldVault,
    private readonly blindIndex: BlindIndex,
    private readonly queries: QueryBus,
    private readonly projections: ProjectionReader,
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Inject(READ_STORE) private readonly reads: ReadStore,
    @Inject(KEY_STORE) private readonly keyStore: KeyStore,
    @Inject(CUSTODIAN_CONFIG) private readonly config: CustodianConfig,
    private readonly runner: ProjectionRunner,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly erasures: ErasureLedger,
    private readonly holds: LegalHolds,
  ) {}

  /** Customers whose email or phone is exactly this value (after normalisation). */
  async lookup(field: LookupField, value: string): Promise<string[]> {
    const hashes = this.vault.lookupHashes(field, value);
    if (hashes.length === 0) {
      throw new BadRequestException({
        message: `invalid request: ${field} is not a valid ${field === 'email' ? 'email address' : 'phone number'}`,
        details: [{ field, problem: 'is not valid' }],
      });
    }
    return this.live(await this.blindIndex.find(field, hashes));
  }

  /**
   * Other live customers holding the email or phone among `values` (current or legacy normal
   * form), field by field; `self` is left out (an update, or a replayed registration).
   */
  async holders(
    values: Record<string, string | null>,
    self: string,
  ): Promise<Array<{ field: LookupField; subjectId: string }>> {
    const held: Array<{ field: LookupField; subjectId: string }> = [];
    for (const field of LOOKUP_FIELDS) {
      const value = values[field];
      if (typeof value !== 'string') continue;
      const found = await this.blindIndex.find(field, this.vault.lookupHashes(field, value));
      for (const subjectId of await this.live(found.filter((id) => id !== self)))
        held.push({ field, subjectId });
    }
    return held;
  }

  /**
   * Refuses a profile (or change) whose email or phone another live customer holds: 409 naming
   * each field and, for a caller who may register customers, the holder's id. With
   * `duplicateOf` naming one of those holders the caller asks for a separate record on
   * purpose, and it goes ahead; naming anyone else is a 400.
   */
  async refuseDuplicates(
    values: Record<string, string | null>,
    self: string,
    duplicateOf: DuplicateOf | undefined,
    role: string,
  ): Promise<void> {
    const held = await this.holders(values, self);
    if (duplicateOf) {
      if (!held.some((h) => h.subjectId === duplicateOf.subjectId)) {
        throw new BadRequestException({
          message:
            'invalid request: duplicateOf.subjectId is not a customer holding this email or phone',
          details: [
            {
              field: 'duplicateOf.subjectId',
              problem: 'is not a customer holding this email or phone',
            },
          ],
        });
      }
      return;
    }
    if (held.length === 0) return;
    const fields = [...new Set(held.map((h) => h.field))];
    const mayKnow = isRole(role) && roleMay(role, 'subjects.register');
    throw new ConflictException({
      message: `duplicate customer: another customer holds this ${fields.join(' and ')}; send duplicateOf { subjectId, reason } to keep a separate record`,
      details: fields.map((field) => ({
        field: `profile.${field}`,
        problem: 'is held by another customer',
      })),
      ...(mayKnow ? { subjectId: held[0].subjectId } : {}),
    });
  }

  /** Erased in the log, even if the reconciler has not yet removed the entries: left out. */
  private async live(subjectIds: string[]): Promise<string[]> {
    if (subjectIds.length === 0) return subjectIds;
    const erased = await this.erasures.erasedAmong(subjectIds);
    return subjectIds.filter((subjectId) => !erased.has(subjectId));
  }

  /** When, by whom, why, which key — and whether each projection has processed the erasure. */
  async erasureReceipt(subjectId: string): Promise<ErasureReceipt> {
    // Nothing follows an erasure, so the last event says it all, however long the history.
    const [event] = await readTypedStream<SubjectEvent>(this.events, subjectStream(subjectId), {
      direction: 'backwards',
      maxCount: 1,
    });
    if (!event) throw notFound('subjectId', `subject ${subjectId} is not registered`);
    if (event.type !== 'SubjectErased')
      throw notFound('subjectId', `subject ${subjectId} has not been erased`);
    const data = event.data;
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
    const hold = await this.holds.state(subjectId);
    const holdKey = hold && (await this.keyStore.destroyed(holdKeyName(subjectId)));
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
      legalHold: hold && {
        fields: Object.keys(hold.placed.fields).sort(),
        purposes: hold.placed.purposes,
        until: hold.placed.until,
        keyId: hold.placed.keyId,
        endedAt: hold.ended?.endedAt ?? null,
        keyDestroyedAt: holdKey?.destroyedAt ?? null,
      },
    };
  }

  /** The DSAR document: everything held about a customer (values decrypted by the command). */
  async subjectAccess(
    subjectId: string,
    state: SubjectState,
    values: Record<string, string>,
    consents: unknown,
    accessLog: unknown[],
  ) {
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

  async catalogue(): Promise<CatalogueState> {
    return fold(
      fieldCatalogueDecider,
      await readTypedStream<FieldDeclared>(this.events, FIELD_CATALOGUE_STREAM),
    );
  }

  /** The subject's state and stream revision, or 404. */
  async current(subjectId: string): Promise<{ state: SubjectState; revision: bigint }> {
    const history = await readTypedStream<SubjectEvent>(this.events, subjectStream(subjectId));
    const state = fold(subjectDecider, history);
    if (!state) throw notFound('subjectId', `subject ${subjectId} is not registered`);
    return { state, revision: history[history.length - 1].revision };
  }

  /** Erased according to the log (the truth), whether or not the key is destroyed yet. */
  isErased(subjectId: string): Promise<boolean> {
    return this.erasures.isErased(subjectId);
  }

  /** The profile as sent, checked against the catalogue and the purposes' minimum fields (400 naming each field at fault). */
  async checked(
    profile: Record<string, unknown>,
    allowRemoval: boolean,
    now: Date,
  ): Promise<Record<string, string | null>> {
    const [custom, justified] = await Promise.all([this.catalogue(), this.justifiedFields()]);
    const { values, problems } = checkProfile(
      profile,
      custom,
      justified,
      allowRemoval,
      now,
      this.vault.phoneRegion,
    );
    if (problems.length > 0) throw invalidProfile(problems);
    if (Object.keys(values).length === 0 && allowRemoval)
      throw invalidProfile([{ field: 'profile', problem: 'changes nothing' }]);
    return values;
  }

  /** Fields some active purpose lists among its minimum fields. */
  private async justifiedFields(): Promise<Set<string>> {
    const ids = (await this.queries.execute(new AllPurposesQuery())).keys();
    const purposes = await Promise.all(
      [...ids].map((id) => this.queries.execute(new CurrentPurposeQuery(id))),
    );
    return new Set(
      purposes.filter((p) => p?.status === 'active').flatMap((p) => p!.assessment.minimumFields),
    );
  }

  /**
   * The subject's blind-index entries for the lookup fields given (a removed field keeps an
   * entry without a hash), as of the stream revision of the event that set them: an older
   * revision arriving late changes nothing (`BlindIndex.update`). If the customer was erased
   * meanwhile, the entries just written go again (erasure may have removed them first).
   */
  async indexLookups(
    subjectId: string,
    values: Record<string, string | null>,
    revision: bigint,
  ): Promise<void> {
    const entries: Partial<Record<LookupField, string | null>> = {};
    for (const field of LOOKUP_FIELDS) {
      if (!(field in values)) continue;
      const value = values[field];
      entries[field] = value === null ? null : this.vault.lookupHash(field, value);
    }
    if (Object.keys(entries).length === 0) return;
    await this.blindIndex.update(subjectId, entries, Number(revision));
    if (await this.erasures.isErased(subjectId)) await this.blindIndex.removeAll(subjectId);
  }
}

function invalidProfile(details: FieldProblem[]): BadRequestException {
  return new BadRequestException({
    message: `invalid request: ${details.map((d) => `${d.field} ${d.problem}`).join('; ')}`,
    details,
  });
}
