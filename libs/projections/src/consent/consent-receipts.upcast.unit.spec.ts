import { SqliteEventStore } from '@custodian/event-store';
import { SqliteReadStore } from '@custodian/read-store';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { untyped } from '../projection.definition';
import { ProjectionRunner } from '../projection-runner';
import { consentReceiptsProjection } from './consent-receipts.projection';

/** A ConsentRevoked as schema v1 stored it: no `trigger`. */
const v1Revocation = {
  subjectId: 's-1',
  purposeId: 'marketing',
  receiptId: 'r-v1',
  noticeVersion: null,
  legalBasis: 'consent',
  evidence: {
    channel: 'web',
    collectionPoint: 'settings',
    method: 'account_settings',
    language: 'en',
    jurisdiction: 'DE',
  },
  revokedAt: '2026-01-01T00:00:00.000Z',
};

describe('a projection rebuilt over a stored v1 event', () => {
  let dir: string;
  let events: SqliteEventStore;
  let reads: SqliteReadStore;
  let runner: ProjectionRunner | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'custodian-upcast-'));
    events = new SqliteEventStore({ file: join(dir, 'events.sqlite'), pollIntervalMs: 20 });
    reads = new SqliteReadStore({ file: join(dir, 'read.sqlite') });
  });
  afterEach(async () => {
    await runner?.stop();
    await events.close();
    await reads.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gets the v2 shape: the trigger made explicit', async () => {
    await events.append('consent-s-1', [
      { type: 'ConsentRevoked', data: v1Revocation, metadata: { schemaVersion: 1 } },
      {
        type: 'ConsentRevoked',
        data: { ...v1Revocation, receiptId: 'r-v2', trigger: 'gpc' },
        metadata: { schemaVersion: 2 },
      },
    ]);
    runner = new ProjectionRunner(events, reads, [untyped(consentReceiptsProjection)], {
      batchSize: 50,
      retryDelayMs: 10,
    });
    await runner.start();
    await runner.waitFor((await events.readLastEvent())!.position);
    const collection = runner.collectionFor('consent_receipts');
    expect(await reads.get(collection, 'r-v1')).toMatchObject({
      receiptId: 'r-v1',
      eventType: 'ConsentRevoked',
      trigger: 'request',
    });
    expect(await reads.get(collection, 'r-v2')).toMatchObject({ trigger: 'gpc' });
  });
});
