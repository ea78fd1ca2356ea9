import { LOG_CHECKPOINT_STREAM } from '@custodian/domain';
import type { IntegrityReport } from '@custodian/platform';
import Database from 'better-sqlite3';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ApiClient,
  consentBody,
  Scenario,
  startTestApp,
  waitFor,
  type TestApp,
} from '@test/support';
import { runCliInProcess } from './support/cli';

const ACTORS = [
  { id: 'dpo-1', roles: ['dpo'] },
  { id: 'admin-1', roles: ['admin'] },
  { id: 'crm', roles: ['service'] },
  { id: 'sales-1', roles: ['sales'] },
];

interface Row {
  position: number;
  stream: string;
  revision: number;
  event_id: string;
  type: string;
  data: string;
  metadata: string;
  recorded_at: number;
}

/**
 * Tamper evidence on real files: the app seals the log in signed checkpoints; a copy of its
 * SQLite log edited behind its back (one byte changed, an event deleted, two swapped, one
 * inserted) is opened by the app, and GET /v1/audit/integrity names the first position at fault
 * and what happened there. A clean log, and one after 100 erasures, verify.
 */
describe('tamper evidence (HTTP, embedded stores, copies of the log file)', () => {
  const copies: string[] = [];
  let t: TestApp;
  let dataDir: string;

  const client = (app: TestApp, id: string) => new ApiClient(app.baseUrl, app.keys[id]);
  const verify = async (app: TestApp, query = '') => {
    const response = await client(app, 'dpo-1').get(`/v1/audit/integrity${query}`);
    expect(response.status).toBe(200);
    return response.body;
  };

  beforeAll(async () => {
    // Small ranges and a quick timer, so a few dozen requests make several checkpoints.
    t = await startTestApp(
      { CUSTODIAN_INTEGRITY_CHECKPOINT_EVERY: '10', CUSTODIAN_INTEGRITY_CHECKPOINT_MS: '500' },
      ACTORS,
    );
    dataDir = t.dataDir;
    const admin = client(t, 'admin-1');
    const dpo = client(t, 'dpo-1');
    const crm = client(t, 'crm');
    await new Scenario(t).activePurpose(admin, dpo, 'tamper-news');
    for (let i = 0; i < 12; i++) {
      const registered = await crm.post('/v1/subjects', {
        profile: { email: `tamper-${i}@example.com` },
        source: 'web-signup',
      });
      if (registered.status !== 201) throw new Error(JSON.stringify(registered.body));
      const id = registered.body.subjectId as string;
      expect(
        (await crm.post(`/v1/subjects/${id}/consents`, consentBody('tamper-news'))).status,
      ).toBe(201);
    }
    // Everything sealed but the last checkpoint itself.
    await waitFor(async () => (await verify(t)).unsealed.events <= 1, 10_000);
    await t.stop();
  }, 60_000);

  afterAll(() => {
    for (const dir of [dataDir, ...copies]) rmSync(dir, { recursive: true, force: true });
  });

  /** A copy of the stopped app's data directory, its log edited, opened by a new app. */
  async function openEditedCopy(edit: (db: Database.Database) => void): Promise<TestApp> {
    const copy = mkdtempSync(join(tmpdir(), 'custodian-tampered-'));
    copies.push(copy);
    cpSync(dataDir, copy, { recursive: true });
    const db = new Database(join(copy, 'events.sqlite'));
    try {
      db.transaction(() => edit(db))();
    } finally {
      db.close();
    }
    return startTestApp(
      {
        CUSTODIAN_DATA_DIR: copy,
        CUSTODIAN_INTEGRITY_CHECKPOINT_EVERY: '10',
        CUSTODIAN_INTEGRITY_CHECKPOINT_MS: '0',
      },
      ACTORS,
    );
  }

  /** The range of the fullest checkpoint after the first: positions after `from`, up to `to`. */
  function sealedRange(db: Database.Database): { from: number; to: number } {
    const rows = db
      .prepare('SELECT data FROM events WHERE stream = ? AND revision >= 1 ORDER BY revision')
      .all(LOG_CHECKPOINT_STREAM) as Array<{ data: string }>;
    const ranges = rows.map(
      (row) => JSON.parse(row.data) as { events: number; fromPosition: string; toPosition: string },
    );
    const fullest = ranges.reduce((a, b) => (b.events > a.events ? b : a));
    return { from: Number(fullest.fromPosition), to: Number(fullest.toPosition) };
  }

  /** The positions of events in that range that are not checkpoints. */
  function plainPositions(db: Database.Database): number[] {
    const { from, to } = sealedRange(db);
    return (
      db
        .prepare(
          'SELECT position FROM events WHERE position > ? AND position <= ? AND type != ? ORDER BY position',
        )
        .all(from, to, 'LogCheckpointSealed') as Array<{ position: number }>
    ).map((r) => r.position);
  }

  const rowAt = (db: Database.Database, position: number) =>
    db.prepare('SELECT * FROM events WHERE position = ?').get(position) as Row;

  async function expectProblem(
    edit: (db: Database.Database) => number,
    kind: string,
  ): Promise<void> {
    let position = 0;
    const app = await openEditedCopy((db) => (position = edit(db)));
    try {
      const report = await verify(app);
      expect(report.ok).toBe(false);
      expect(report.firstProblem).toMatchObject({ kind, position: String(position) });
    } finally {
      await app.stop();
    }
  }

  it('a clean log verifies: every checkpoint signed, chained and matching the stored bytes', async () => {
    let logSize = 0;
    const app = await openEditedCopy((db) => {
      logSize = (db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;
    });
    try {
      const report = await verify(app);
      expect(report).toMatchObject({ ok: true, problems: [] });
      expect(report.checkpoints).toBeGreaterThanOrEqual(3);
      // Every event is either sealed and checked, or in the unsealed tail.
      expect(report.checkedEvents + report.unsealed.events).toBe(logSize);
      expect(report.firstProblem).toBeUndefined();
      const exported = await client(app, 'admin-1').get('/v1/audit/checkpoints?limit=1000');
      expect(exported.status).toBe(200);
      expect(exported.body.publicKey).toBe(report.publicKey);
      expect(exported.body.checkpoints).toHaveLength(report.checkpoints);
      expect(exported.body.checkpoints[1]).toMatchObject({
        sequence: 1,
        algorithm: 'Ed25519',
        previousChain: exported.body.checkpoints[0].chain,
        fromPosition: exported.body.checkpoints[0].toPosition,
      });
    } finally {
      await app.stop();
    }
  }, 30_000);

  it('one byte changed in one event\'s data: "modified" at its position', async () => {
    await expectProblem((db) => {
      const target = plainPositions(db)[4];
      const row = rowAt(db, target);
      // A letter or digit inside a string value, swapped for another: still valid JSON.
      const at = row.data.search(/[A-Za-z0-9](?=[^"]*"[,}])/);
      const old = row.data[at];
      const changed = `${row.data.slice(0, at)}${old === 'x' ? 'y' : 'x'}${row.data.slice(at + 1)}`;
      expect(changed.length).toBe(row.data.length);
      db.prepare('UPDATE events SET data = ? WHERE position = ?').run(changed, target);
      return target;
    }, 'modified');
  }, 30_000);

  it('one event deleted: "deleted" at its position', async () => {
    await expectProblem((db) => {
      const target = plainPositions(db)[3];
      db.prepare('DELETE FROM events WHERE position = ?').run(target);
      return target;
    }, 'deleted');
  }, 30_000);

  it('two events swapped: "reordered" at the first of them', async () => {
    await expectProblem((db) => {
      const plain = plainPositions(db);
      const [a, b] = [plain[2], plain[6]];
      const move = db.prepare('UPDATE events SET position = ? WHERE position = ?');
      move.run(-1, a);
      move.run(a, b);
      move.run(b, -1);
      return a;
    }, 'reordered');
  }, 30_000);

  it('one event inserted (the later ones renumbered): "inserted" at its position', async () => {
    await expectProblem((db) => {
      const target = plainPositions(db)[5];
      const template = rowAt(db, target);
      db.prepare('UPDATE events SET position = position + 1000000 WHERE position >= ?').run(target);
      db.prepare('UPDATE events SET position = position - 999999 WHERE position >= 1000000').run();
      db.prepare(
        'INSERT INTO events (position, stream, revision, event_id, type, data, metadata, recorded_at) VALUES (?, ?, 0, ?, ?, ?, ?, ?)',
      ).run(
        target,
        'access-00000000-0000-4000-8000-000000000000',
        '00000000-0000-4000-8000-00000000f0f0',
        template.type,
        template.data,
        template.metadata,
        template.recorded_at,
      );
      return target;
    }, 'inserted');
  }, 30_000);

  it('the CLI verifies the same copy: exit code 0 when clean, 1 when tampered', async () => {
    const clean = mkdtempSync(join(tmpdir(), 'custodian-cli-'));
    copies.push(clean);
    cpSync(dataDir, clean, { recursive: true });
    // In-process: the same runCli the entry point exits with (admin-cli.e2e-spec runs that).
    const cli = async (...args: string[]) =>
      await runCliInProcess(['log', 'verify', ...args], { CUSTODIAN_DATA_DIR: clean });
    const ok = await cli();
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true });
    const db = new Database(join(clean, 'events.sqlite'));
    const target = plainPositions(db)[1];
    const { from } = sealedRange(db);
    db.prepare('DELETE FROM events WHERE position = ?').run(target);
    db.close();
    const bad = await cli();
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout).firstProblem).toMatchObject({
      kind: 'deleted',
      position: String(target),
    });
    expect(bad.stderr).toContain('the log does not verify');
    // A range that stops before the damage verifies.
    expect((await cli('--to', String(from))).code).toBe(0);
    expect((await cli('--to', 'ten')).code).toBe(2);
  }, 30_000);
});

describe('tamper evidence survives crypto-shredding (100 erasures)', () => {
  let t: TestApp;

  afterAll(async () => t?.close());

  it('100 customers registered then erased: the log still verifies, nothing unsealed', async () => {
    t = await startTestApp(
      {
        CUSTODIAN_INTEGRITY_CHECKPOINT_EVERY: '50',
        CUSTODIAN_INTEGRITY_CHECKPOINT_MS: '100',
        CUSTODIAN_ERASURE_APPROVAL_ABOVE: '1000',
      },
      ACTORS,
    );
    const crm = client('crm');
    const dpo = client('dpo-1');
    await new Scenario(t).activePurpose(client('admin-1'), dpo, 'shred-news');
    const ids: string[] = [];
    for (let i = 0; i < 100; i++) {
      const registered = await crm.post('/v1/subjects', {
        profile: { email: `shred-${i}@example.com` },
        source: 'web-signup',
      });
      expect(registered.status).toBe(201);
      ids.push(registered.body.subjectId as string);
    }
    for (const id of ids) {
      const erased = await crm.post(`/v1/subjects/${id}/erasure`, {
        reason: 'data_subject_request',
        requestedVia: 'email',
      });
      expect(erased.status).toBe(202);
    }
    // The keys are gone: the erasure receipts say so.
    for (const id of ids.slice(0, 3)) {
      const receipt = await client('admin-1').get(`/v1/subjects/${id}/erasure`);
      expect(receipt.status).toBe(200);
    }
    // Checkpoint: the timer seals the tail; then everything but the last checkpoint is sealed.
    let report: IntegrityReport | undefined;
    await waitFor(async () => {
      report = (await dpo.get('/v1/audit/integrity')).body as IntegrityReport;
      return report.unsealed?.events <= 1;
    }, 15_000);
    expect(report).toMatchObject({ ok: true, problems: [] });
    expect(report?.checkedEvents).toBeGreaterThanOrEqual(200);
    expect(report?.checkpoints).toBeGreaterThanOrEqual(4);

    // The erased customers' timelines still tell what happened, the bulk-erasure alert included.
    let entries: Array<{ type: string; category: string }> = [];
    await waitFor(async () => {
      entries = (await dpo.get(`/v1/subjects/${ids[60]}/timeline`)).body.entries ?? [];
      return entries.some((e) => e.category === 'anomaly');
    }, 10_000);
    expect(entries.map((e) => e.type)).toEqual(
      expect.arrayContaining(['SubjectRegistered', 'SubjectErased', 'AnomalyDetected']),
    );
    expect(entries.find((e) => e.category === 'anomaly')).toMatchObject({
      actor: { id: 'crm' },
      facts: { ruleId: 'bulk-erasure' },
    });
    expect(JSON.stringify(entries)).not.toContain('shred-60@example.com');
  }, 120_000);

  function client(id: string) {
    return new ApiClient(t.baseUrl, t.keys[id]);
  }
});
