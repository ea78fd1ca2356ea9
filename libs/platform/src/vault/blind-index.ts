import type { LookupField } from '@custodian/domain';
import { READ_STORE, type ReadStore } from '@custodian/read-store';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';

const COLLECTION = 'blind_index';

/**
 * Exact-match lookup of customers by email or phone without storing either: each entry is a
 * keyed HMAC of the normalised value. Entries live outside the event log, like data keys, so
 * erasure deletes them and nothing in the log can confirm an erased customer's address.
 *
 * One document per (field, subject), `<field>:<subjectId>`, holding the hash and the stream
 * revision of the event that set the value (`hash: null` once the field was removed). It is
 * written with a guard on that revision, so of several updates racing (in one process or
 * several sharing the store) the one the log committed last wins, whatever order their index
 * writes arrive in. Entries of earlier versions (`<field>:<hash>:<subjectId>`, no revision)
 * are still found, and are deleted by the subject's next change of that field.
 */
@Injectable()
export class BlindIndex implements OnModuleInit {
  constructor(@Inject(READ_STORE) private readonly reads: ReadStore) {}

  async onModuleInit(): Promise<void> {
    await this.reads.ensureCollection({ name: COLLECTION, indexes: ['hash', 'subjectId'] });
  }

  /**
   * Sets the subject's entry for each field in `values` (a hash, or null for a removed field)
   * as of stream revision `revision`; a field whose entry already holds this or a later
   * revision keeps it. Legacy entries of those fields go in the same commit.
   */
  async update(
    subjectId: string,
    values: Partial<Record<LookupField, string | null>>,
    revision: number,
  ): Promise<void> {
    const fields = Object.keys(values) as LookupField[];
    if (fields.length === 0) return;
    const legacy = (
      await this.reads.find(COLLECTION, { where: { subjectId }, limit: 1000 })
    ).items.filter(
      (item) => item.doc.revision === undefined && fields.includes(item.doc.field as LookupField),
    );
    await this.reads.commit({
      writes: [
        ...legacy.map((item) => ({ collection: COLLECTION, id: item.id, doc: null })),
        ...fields.map((field) => ({
          collection: COLLECTION,
          id: entryId(field, subjectId),
          doc: { field, hash: values[field] ?? null, subjectId, revision },
          guard: { field: 'revision', below: revision },
        })),
      ],
    });
  }

  /**
   * Erasure: deletes every entry of the subject and has the store scrub its files (`scrub`), so
   * the HMAC survives in no free page, WAL frame or index of the read store: otherwise it would
   * still match the same address registered again later.
   */
  async removeAll(subjectId: string): Promise<void> {
    const page = await this.reads.find(COLLECTION, { where: { subjectId }, limit: 1000 });
    if (page.items.length === 0) return;
    await this.reads.commit({
      writes: page.items.map((item) => ({ collection: COLLECTION, id: item.id, doc: null })),
      scrub: true,
    });
  }

  /** Subjects whose entry for `field` holds one of `hashes` (ids in order of first match). */
  async find(field: LookupField, hashes: readonly string[]): Promise<string[]> {
    const found = new Set<string>();
    for (const hash of new Set(hashes)) {
      const page = await this.reads.find(COLLECTION, { where: { hash }, limit: 1000 });
      for (const item of page.items)
        if (item.doc.field === field) found.add(String(item.doc.subjectId));
    }
    return [...found];
  }
}

function entryId(field: string, subjectId: string): string {
  return `${field}:${subjectId}`;
}
