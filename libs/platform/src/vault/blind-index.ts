import type { LookupField } from '@custodian/domain';
import { READ_STORE, type ReadStore } from '@custodian/read-store';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';

const COLLECTION = 'blind_index';

/**
 * Exact-match lookup of customers by email or phone without storing either: each entry is a
 * keyed HMAC of the normalised value. Entries live outside the event log, like data keys, so
 * erasure deletes them and nothing in the log can confirm an erased customer's address.
 * One document per (field, hash, subject), so concurrent writers never rewrite each other.
 */
@Injectable()
export class BlindIndex implements OnModuleInit {
  constructor(@Inject(READ_STORE) private readonly reads: ReadStore) {}

  async onModuleInit(): Promise<void> {
    await this.reads.ensureCollection({ name: COLLECTION, indexes: ['hash', 'subjectId'] });
  }

  /**
   * Replaces a subject's entries for the fields in `replace` (their old entries go, whatever
   * value they were for: no old value is decrypted to find them) and adds `add`, in one commit.
   */
  async update(
    subjectId: string,
    add: ReadonlyArray<{ field: LookupField; hash: string }>,
    replace: ReadonlyArray<LookupField> = [],
  ): Promise<void> {
    const remove =
      replace.length === 0
        ? []
        : (await this.reads.find(COLLECTION, { where: { subjectId }, limit: 1000 })).items.filter(
            (item) => replace.includes(item.doc.field as LookupField),
          );
    if (add.length === 0 && remove.length === 0) return;
    await this.reads.commit({
      writes: [
        ...remove.map((item) => ({ collection: COLLECTION, id: item.id, doc: null })),
        ...add.map(({ field, hash }) => ({
          collection: COLLECTION,
          id: entryId(field, hash, subjectId),
          doc: { field, hash, subjectId },
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

  async find(field: LookupField, hash: string): Promise<string[]> {
    const page = await this.reads.find(COLLECTION, { where: { hash }, limit: 1000 });
    return page.items
      .filter((item) => item.doc.field === field)
      .map((item) => String(item.doc.subjectId));
  }
}

function entryId(field: string, hash: string, subjectId: string): string {
  return `${field}:${hash}:${subjectId}`;
}
