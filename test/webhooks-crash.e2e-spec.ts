import {
  ApiClient,
  connectorBody,
  consentBody,
  noticeBody,
  purposeBody,
  testKey,
  waitFor,
  WebhookReceiver,
} from '@test/support';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';

const REGISTER_TS = join(__dirname, 'support', 'register-ts.cjs');
const CHILD = join(__dirname, 'crash', 'webhooks-child.ts');
const ACTORS = [
  { id: 'dpo-1', roles: ['dpo'] },
  { id: 'admin-1', roles: ['admin'] },
  { id: 'crm', roles: ['service'] },
];
const SUBJECTS = 4;
const ROUNDS = 10;

/** Every child started, so none outlives the test whatever happens. */
const children = new Set<ChildProcess>();

async function startChild(dataDir: string, actorsFile: string) {
  const child = spawn(process.execPath, ['-r', REGISTER_TS, CHILD, dataDir, actorsFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`child never listened: ${stderr}`)), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /READY (\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.on('exit', () => reject(new Error(`child exited: ${stderr}`)));
  });
  return { child, port };
}

const killed = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });

/**
 * Custodian killed with SIGKILL in the middle of delivering webhooks, then started again on the
 * same files (issue 15, must show): every message arrives, in order per customer; a message may
 * arrive twice, with the same webhook-id and body.
 */
describe('webhook delivery survives SIGKILL (child processes, embedded stores, loopback receiver)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'custodian-hooks-crash-'));
  const actorsFile = join(dataDir, 'actors.json');
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    writeFileSync(
      actorsFile,
      JSON.stringify({ actors: ACTORS.map((a) => ({ ...a, apiKey: testKey(a.id) })) }),
      { mode: 0o600 },
    );
    receiver = await WebhookReceiver.start();
  });
  afterAll(async () => {
    await Promise.all([...children].map(killed));
    await receiver.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('loses nothing: every event is delivered after the restart, duplicates share their webhook-id', async () => {
    // Each answer takes a while, so the kill lands with deliveries still to make.
    receiver.respond = (_req, res) => {
      setTimeout(() => {
        res.statusCode = 200;
        res.end();
      }, 15).unref();
    };
    const first = await startChild(dataDir, actorsFile);
    const base = `http://127.0.0.1:${first.port}`;
    const admin = new ApiClient(base, testKey('admin-1'));
    const dpo = new ApiClient(base, testKey('dpo-1'));
    const crm = new ApiClient(base, testKey('crm'));
    expect((await admin.post('/v1/purposes', purposeBody('newsletter'))).status).toBe(201);
    expect((await admin.post('/v1/purposes/newsletter/notices', noticeBody('v1'))).status).toBe(
      201,
    );
    expect((await dpo.post('/v1/purposes/newsletter/activate')).status).toBe(200);
    const registered = await admin.post(
      '/v1/connectors',
      connectorBody('mailer', {
        webhook: { url: receiver.url, events: ['consent.granted', 'consent.revoked'] },
      }),
    );
    expect(registered.status).toBe(201);
    const secret = registered.body.webhookSecret as string;

    const subjects = Array.from(
      { length: SUBJECTS },
      (_, i) => `00000000-0000-4000-8000-00000000000${i}`,
    );
    for (let round = 0; round < ROUNDS; round++)
      for (const subjectId of subjects) {
        const action = round % 2 === 0 ? 'grant' : 'revoke';
        expect(
          (
            await crm.post(
              `/v1/subjects/${subjectId}/consents`,
              consentBody('newsletter', { action }),
            )
          ).status,
        ).toBe(201);
      }
    const total = SUBJECTS * ROUNDS;
    // Mid-delivery: some have arrived, most have not.
    await waitFor(async () => receiver.received.length >= 5, 20_000);
    await killed(first.child);
    const beforeRestart = receiver.received.length;
    expect(beforeRestart).toBeLessThan(total);

    const second = await startChild(dataDir, actorsFile);
    await waitFor(
      async () => new Set(receiver.received.map((r) => r.headers['webhook-id'])).size >= total,
      30_000,
    );
    const deliveries = await new ApiClient(`http://127.0.0.1:${second.port}`, testKey('dpo-1')).get(
      '/v1/connectors/mailer/deliveries?limit=1000',
    );
    expect(deliveries.body.items).toHaveLength(total);
    const expected = new Set<string>(
      deliveries.body.items.map((d: { eventId: string }) => d.eventId),
    );
    const seen = new Set(receiver.received.map((r) => r.headers['webhook-id']));
    expect([...expected].filter((id) => !seen.has(id))).toEqual([]);

    const verifier = new Webhook(secret);
    const bodies = new Map<string, string>();
    for (const r of receiver.received) {
      verifier.verify(r.body, r.headers);
      const id = r.headers['webhook-id'];
      // A duplicate is the same message: same id, same body.
      if (bodies.has(id)) expect(r.body).toBe(bodies.get(id));
      bodies.set(id, r.body);
    }
    // In log order per customer (a duplicate repeats a message, never goes back past another).
    for (const subjectId of subjects) {
      const positions = receiver
        .payloads()
        .filter((p) => p.data.subjectId === subjectId)
        .map((p) => p.position);
      expect(positions).toEqual([...positions].sort());
      expect(new Set(positions).size).toBe(ROUNDS);
    }
    await killed(second.child);
  }, 180_000);
});
