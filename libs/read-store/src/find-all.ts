import type { JsonObject } from '@custodian/domain';
import type { FindQuery, ReadStore } from './read-store.port';

/** Every document a query matches, page after page (at most 1000 a page), as they come. */
export async function* findAll(
  reads: ReadStore,
  collection: string,
  query: Omit<FindQuery, 'cursor' | 'limit'> = {},
): AsyncGenerator<JsonObject> {
  let cursor: string | undefined;
  do {
    const page = await reads.find(collection, { ...query, limit: 1000, cursor });
    for (const item of page.items) yield item.doc;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
}

/** `findAll`, gathered into an array. */
export async function findAllDocs(
  reads: ReadStore,
  collection: string,
  query: Omit<FindQuery, 'cursor' | 'limit'> = {},
): Promise<JsonObject[]> {
  const docs: JsonObject[] = [];
  for await (const doc of findAll(reads, collection, query)) docs.push(doc);
  return docs;
}
