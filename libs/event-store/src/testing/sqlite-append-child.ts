/**
 * A separate process appending to a SQLite event store file, for tests of what crosses
 * process boundaries. Usage: sqlite-append-child.ts <file> <stream> <count>
 */
import { SqliteEventStore } from '../sqlite/sqlite-event-store';

async function main(): Promise<void> {
  const [file, stream, count] = process.argv.slice(2);
  const store = new SqliteEventStore({ file });
  for (let i = 0; i < Number(count); i++) {
    await store.append(stream, [{ type: 'FromOtherProcess', data: { i } }]);
  }
  await store.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
