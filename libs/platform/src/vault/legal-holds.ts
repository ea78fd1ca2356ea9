import {
  accessStream,
  DomainError,
  fold,
  heldPurposes,
  LEGAL_HOLD_PURPOSE,
  legalHoldDecider,
  legalHoldStream,
  notFound,
  subjectDecider,
  subjectStream,
  type LegalHoldEvent,
  type LegalHoldState,
  type PurposeState,
  type SubjectEvent,
} from '@custodian/domain';
import { EVENT_STORE, readTypedStream, type EventStore } from '@custodian/event-store';
import type { LegalHoldDocument, PurposeDocument } from '@custodian/projections';
import { READ_STORE, type ReadStore } from '@custodian/read-store';
import { ForbiddenException, Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { CommandExecutor, type CommandMeta } from '../commands/command-executor';
import { ProjectionReader } from '../projections/projection-reader';
import { AccessRecorder } from './access-receipt';
import { FieldVault } from './field-vault';

/** The actor recorded on the re-keying an erasure does for a legal hold, and on a hold's end. */
export const LEGAL_HOLD_ACTOR = { id: 'system-legal-hold', role: 'system' };

/** The reason an AccessDenied carries when the purpose stated holds none of the kept fields. */
export const NOT_HELD_FOR_PURPOSE = 'not_held_for_purpose';

/**
 * Legal holds: at an erasure, the fields a purpose must keep (its `legalHold`) move from the
 * customer's data key to a hold key of their own before the data key is destroyed; the DPO
 * reads them for the purpose that holds them (audited, like every decryption); the retention
 * sweep destroys the hold key once the hold has run out.
 */
@Injectable()
export class LegalHolds {
  private readonly logger = new Logger('LegalHolds');

  constructor(
    private readonly commands: CommandExecutor,
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Inject(READ_STORE) private readonly reads: ReadStore,
    private readonly projections: ProjectionReader,
    private readonly vault: FieldVault,
    private readonly recorder: AccessRecorder,
  ) {}

  /** The customer's hold as the log has it; null when none was placed. */
  async state(subjectId: string): Promise<LegalHoldState | null> {
    return fold(
      legalHoldDecider,
      await readTypedStream<LegalHoldEvent>(this.events, legalHoldStream(subjectId)),
    );
  }

  /**
   * Before an erasure: keeps the fields some purpose holds under the customer's hold key.
   * Nothing to do when no purpose holds a field the customer has, when the hold is already
   * placed (a retried erasure) or when the customer is already erased.
   */
  async placeBeforeErasure(subjectId: string, meta: CommandMeta): Promise<void> {
    if (await this.state(subjectId)) return;
    const subject = fold(
      subjectDecider,
      await readTypedStream<SubjectEvent>(this.events, subjectStream(subjectId)),
    );
    if (!subject || subject.erased) return;
    const held = heldPurposes(
      (await this.purposes()).values(),
      Object.keys(subject.fields),
      meta.now,
    );
    if (held.length === 0) return;
    const names = [...new Set(held.flatMap((h) => h.fields))].sort();
    const receipt = await this.recorder.record(
      {
        type: 'FieldsAccessed',
        data: {
          subjectId,
          actorId: LEGAL_HOLD_ACTOR.id,
          role: LEGAL_HOLD_ACTOR.role,
          purposeId: LEGAL_HOLD_PURPOSE,
          via: 'legal-hold',
          fields: names.map((name) => ({ name, mask: 'full' as const })),
          policyVersion: 0,
          requestId: meta.requestId,
          at: meta.now.toISOString(),
        },
      },
      meta,
    );
    const kept = await this.vault.holdFields(
      receipt,
      Object.fromEntries(names.map((name) => [name, subject.fields[name]])),
    );
    if (!kept) return;
    await this.commands.execute(
      legalHoldStream(subjectId),
      legalHoldDecider,
      {
        type: 'PlaceLegalHold',
        placed: {
          subjectId,
          keyId: kept.keyId,
          fields: kept.fields,
          purposes: held,
          until: held.map((h) => h.until).sort()[held.length - 1],
        },
      },
      () => ({ now: meta.now }),
      meta,
    );
  }

  /**
   * The fields held for `purposeId`, decrypted for the caller (the route lets only the DPO
   * through) after the access record is appended. A purpose that holds none of them is refused
   * (403) and the refusal recorded; a hold that has run out is gone (410).
   */
  async read(subjectId: string, purposeId: string, meta: CommandMeta) {
    const state = await this.state(subjectId);
    if (!state) throw notFound('subjectId', `subject ${subjectId} has no legal hold`);
    const at = meta.now.toISOString();
    if (state.ended || state.placed.until <= at)
      throw new DomainError(
        'gone',
        'subjectId',
        `the legal hold on subject ${subjectId} ended at ${state.ended?.endedAt ?? state.placed.until}: its fields are shredded`,
      );
    const purpose = state.placed.purposes.find((p) => p.purposeId === purposeId && p.until > at);
    if (!purpose) {
      await this.commands.record(
        accessStream(subjectId),
        [
          {
            type: 'AccessDenied',
            data: {
              subjectId,
              actorId: meta.actor.id,
              role: meta.actor.role,
              purposeId,
              reason: NOT_HELD_FOR_PURPOSE,
              requestId: meta.requestId,
              at,
            },
          },
        ],
        meta,
      );
      throw new ForbiddenException({
        message: `access refused: purpose "${purposeId}" holds none of this customer's kept fields`,
        details: [{ field: 'purpose', problem: NOT_HELD_FOR_PURPOSE }],
      });
    }
    const receipt = await this.recorder.record(
      {
        type: 'FieldsAccessed',
        data: {
          subjectId,
          actorId: meta.actor.id,
          role: meta.actor.role,
          purposeId,
          via: 'legal-hold',
          fields: purpose.fields.map((name) => ({ name, mask: 'full' as const })),
          policyVersion: 0,
          requestId: meta.requestId,
          at,
        },
      },
      meta,
    );
    const values = await this.vault.openHeld(
      receipt,
      Object.fromEntries(purpose.fields.map((name) => [name, state.placed.fields[name]])),
    );
    if (!values)
      throw new DomainError(
        'gone',
        'subjectId',
        `the legal hold on subject ${subjectId} is shredded`,
      );
    return { subjectId, purposeId, heldUntil: purpose.until, fields: values };
  }

  /** Ends every hold that has run out: destroys its key, then records the end. Returns the customers. */
  async endExpired(now: Date): Promise<string[]> {
    const collection = await this.projections.collection('legal_holds');
    const ended: string[] = [];
    const sweepId = randomUUID();
    let cursor: string | undefined;
    do {
      const page = await this.reads.find(collection, {
        where: { status: 'held', until: { lte: now.toISOString() } },
        limit: 500,
        cursor,
      });
      for (const { doc } of page.items) {
        const { subjectId } = doc as LegalHoldDocument;
        // Key first: if recording the end fails, the next sweep destroys again (idempotent) and records it.
        await this.vault.destroyHoldKey(subjectId, now);
        await this.commands.execute(
          legalHoldStream(subjectId),
          legalHoldDecider,
          { type: 'EndLegalHold', subjectId },
          () => ({ now }),
          { actor: LEGAL_HOLD_ACTOR, requestId: sweepId, causationId: randomUUID(), now },
        );
        ended.push(subjectId);
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    if (ended.length > 0) this.logger.log(`ended ${ended.length} legal hold(s) that ran out`);
    return ended;
  }

  private async purposes(): Promise<Map<string, PurposeState>> {
    await this.projections.catchUp('purposes');
    const collection = await this.projections.collection('purposes');
    const all = new Map<string, PurposeState>();
    let cursor: string | undefined;
    do {
      const page = await this.reads.find(collection, { limit: 1000, cursor });
      for (const item of page.items) all.set(item.id, item.doc as unknown as PurposeDocument);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return all;
  }
}
