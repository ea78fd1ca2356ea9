import { READ_STORE, type ReadStore } from '@custodian/read-store';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ApiClient,
  purposeBody,
  Scenario,
  startTestApp,
  waitFor,
  type TestApp,
} from '@test/support';

const ACTORS = [
  { id: 'dpo-1', roles: ['dpo'] },
  { id: 'admin-1', roles: ['admin'] },
  { id: 'crm', roles: ['service'] },
];

/**
 * Issue 11, item 3: an erased customer's blind-index entries leave no trace in `read.sqlite`,
 * its WAL or its SHM file, so nothing on disk links her to a later registration of the same
 * address.
 */
describe('blind index without remnants (HTTP, embedded stores)', () => {
  let t: TestApp;
  let crm: ApiClient;
  let reads: ReadStore;

  beforeAll(async () => {
    t = await startTestApp({}, ACTORS);
    const client = (id: string) => new ApiClient(t.baseUrl, t.keys[id]);
    crm = client('crm');
    reads = t.app.get<ReadStore>(READ_STORE);
    await new Scenario(t).activePurpose(client('admin-1'), client('dpo-1'), 'contact-us', {
      assessment: { ...purposeBody('x').assessment, minimumFields: ['name', 'email', 'phone'] },
    });
  });
  afterAll(async () => t.close());

  /** Which of the needles occur, as ASCII or as raw bytes, in read.sqlite, -wal or -shm. */
  const foundInReadStore = (needles: string[]) => {
    const file = join(t.dataDir, 'read.sqlite');
    const bytes = Buffer.concat(
      ['', '-wal', '-shm'].map((suffix) =>
        existsSync(file + suffix) ? readFileSync(file + suffix) : Buffer.alloc(0),
      ),
    );
    return needles.filter((hex) => bytes.includes(hex) || bytes.includes(Buffer.from(hex, 'hex')));
  };
  const entriesOf = async (subjectId: string) =>
    (await reads.find('blind_index', { where: { subjectId } })).items.map((item) => ({
      field: String(item.doc.field),
      hash: String(item.doc.hash),
    }));
  const register = (profile: Record<string, string>) =>
    crm.post('/v1/subjects', { profile, source: 'web-signup' });
  const lookup = async (email: string) =>
    (await crm.get(`/v1/subjects?email=${encodeURIComponent(email)}&purpose=contact-us`)).body
      .subjects;

  it('leaves no byte of the erased entries in read.sqlite, its WAL or SHM, and a re-registration finds only the new customer', async () => {
    const email = 'remnant.test@example.com';
    const first = await register({ name: 'Rema Nant', email, phone: '+49 30 1234567' });
    expect(first.status).toBe(201);
    const erasedId = first.body.subjectId as string;
    // Another customer's entries stay, and the scan must still find them.
    const other = await register({ email: 'stays@example.com' });
    const kept = (await entriesOf(other.body.subjectId)).map((e) => e.hash);
    const entries = await entriesOf(erasedId);
    expect(entries.map((e) => e.field).sort()).toEqual(['email', 'phone']);
    const hashes = entries.map((e) => e.hash);
    expect(hashes.every((hash) => /^[0-9a-f]{64}$/.test(hash))).toBe(true);
    // Control: before the erasure the scan finds every entry's HMAC in the files.
    expect(foundInReadStore(hashes)).toEqual(hashes);
    expect(await lookup(email)).toEqual([{ subjectId: erasedId }]);

    const erased = await crm.post(`/v1/subjects/${erasedId}/erasure`, {
      reason: 'data_subject_request',
      requestedVia: 'email',
    });
    expect(erased.status).toBe(202);
    await waitFor(async () => (await entriesOf(erasedId)).length === 0);

    expect(foundInReadStore(hashes)).toEqual([]);
    expect(foundInReadStore(kept)).toEqual(kept);
    expect(await lookup(email)).toEqual([]);

    // The same address registered again: a new customer, and the lookup finds only her.
    const again = await register({ name: 'Rema Nant', email });
    expect(again.status).toBe(201);
    expect(again.body.subjectId).not.toBe(erasedId);
    expect(await lookup(email)).toEqual([{ subjectId: again.body.subjectId }]);
    expect(await entriesOf(erasedId)).toEqual([]);
  });
});
