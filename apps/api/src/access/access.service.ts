import { accessStream, type AccessEvent } from '@custodian/domain';
import { EVENT_STORE, readTypedStream, type EventStore } from '@custodian/event-store';
import {
  CLOCK,
  CommandExecutor,
  AccessRecorder,
  ProjectionReader,
  WriteTracker,
  type AccessReceipt,
  type Clock,
  type DecryptingAccess,
  type CommandMeta,
} from '@custodian/platform';
import {
  policyAt,
  ROLE_POLICY_STREAM,
  type RolePolicy,
  type RolePolicyPublished,
} from '@custodian/policy';
import type { CustomerViewsDocument } from '@custodian/projections';
import { READ_STORE, type ReadStore } from '@custodian/read-store';
import { Inject, Injectable, ServiceUnavailableException } from '@nestjs/common';

const POLICY_CACHE_MS = 1000;

export type AccessLogEntry = Record<string, unknown> & { at: string; outcome: string };

/**
 * What audited reads share: the customer card (customer_views: per role, visible fields as
 * ciphertext, masks, consent badges), the role policy in force, the access log, and the
 * access record itself. Reads of personal values are audited by construction: the same
 * command that returns a customer's values records `FieldsAccessed` first, and if that record
 * cannot be written nothing is returned; a refused read records `AccessDenied`.
 */
@Injectable()
export class AccessService {
  private policyCache: { policy: RolePolicy; generation: number; at: number } | null = null;

  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Inject(READ_STORE) private readonly reads: ReadStore,
    private readonly writes: WriteTracker,
    private readonly projections: ProjectionReader,
    private readonly commands: CommandExecutor,
    private readonly recorder: AccessRecorder,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** The customer's card from the customer_views projection, once it holds this process's own writes. */
  async card(subjectId: string): Promise<CustomerViewsDocument | null> {
    const own = [this.writes.lastPosition('subject'), this.writes.lastPosition('consent')].filter(
      (p): p is string => p !== undefined,
    );
    const position = own.sort((a, b) => this.events.comparePositions(a, b)).at(-1);
    if (position) await this.projections.catchUp('customer_views', { position });
    const collection = await this.projections.collection('customer_views');
    const doc = (await this.reads.get(collection, subjectId)) as CustomerViewsDocument | null;
    return doc?.registered ? doc : null;
  }

  /** Who read or was refused this customer's data, when, in which role, for what purpose, which fields. */
  async accessLog(subjectId: string): Promise<AccessLogEntry[]> {
    const events = await readTypedStream<AccessEvent>(this.events, accessStream(subjectId));
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
            ...(e.data.mode ? { mode: e.data.mode } : {}),
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

  private async policyEvents(): Promise<RolePolicyPublished[]> {
    return readTypedStream<RolePolicyPublished>(this.events, ROLE_POLICY_STREAM);
  }

  /** A record with no values behind it (a refusal, a lookup): written before the answer leaves. */
  async audit(subjectId: string, meta: CommandMeta, event: AccessEvent): Promise<void> {
    await unaudited(this.commands.record(accessStream(subjectId), [event], meta));
  }

  /**
   * The record of a read that decrypts: appended first, it yields the receipt the vault
   * decrypts against; if it cannot be written, nothing is decrypted.
   */
  async auditRead(event: DecryptingAccess, meta: CommandMeta): Promise<AccessReceipt> {
    return this.recorder.record(event, meta);
  }
}

async function unaudited<T>(append: Promise<T>): Promise<T> {
  try {
    return await append;
  } catch {
    throw new ServiceUnavailableException(
      'the read could not be audited, so no data is returned; try again',
    );
  }
}
