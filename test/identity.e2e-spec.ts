import {
  ApiClient,
  purposeBody,
  Scenario,
  startTestApp,
  waitFor,
  type TestApp,
} from '@test/support';
import { exportSPKI, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ISSUER = 'https://idp.example.test';
const EMAIL = 'olga.smirnova@mail.example';

/**
 * Issue 12, item 1: a JWT and an API key never name the same principal, and a download is
 * checked against what the caller's role may see at download time.
 */
describe('distinct principals and download-time checks (HTTP, JWTs and API keys)', () => {
  let t: TestApp;
  let scenario: Scenario;
  let idp: { privateKey: KeyLike; publicKey: KeyLike };
  let dir: string;
  const as: Record<string, ApiClient> = {};
  const token = (sub: string, roles: string[]) =>
    new SignJWT({ sub, roles })
      .setProtectedHeader({ alg: 'ES256' })
      .setIssuer(ISSUER)
      .setAudience('custodian')
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(idp.privateKey);

  beforeAll(async () => {
    idp = await generateKeyPair('ES256');
    dir = mkdtempSync(join(tmpdir(), 'custodian-identity-'));
    writeFileSync(join(dir, 'idp.pem'), await exportSPKI(idp.publicKey));
    t = await startTestApp(
      { CUSTODIAN_JWT_ISSUER: ISSUER, CUSTODIAN_JWT_PUBLIC_KEY_FILE: join(dir, 'idp.pem') },
      [
        { id: 'admin-1', roles: ['admin'] },
        { id: 'dpo-1', roles: ['dpo'] },
        { id: 'svc', roles: ['service'] },
        // A key actor holding two roles that see the phone differently.
        { id: 'pat', roles: ['sales', 'analyst'] },
        { id: 'ana', roles: ['analyst'], kind: 'person' },
      ],
    );
    scenario = new Scenario(t);
    for (const id of ['admin-1', 'dpo-1', 'svc', 'pat']) as[id] = scenario.client(id);
    await scenario.activePurpose(as['admin-1'], as['dpo-1'], 'crm-care', {
      legalBasis: 'contract',
      allowedRoles: ['sales', 'service'],
      flags: { marketing: false, profiling: false, saleOrShare: false, aiProcessing: false },
      assessment: { ...purposeBody('x').assessment, minimumFields: ['name', 'email', 'phone'] },
    });
    const registered = await as.svc.post('/v1/subjects', {
      profile: { name: 'Olga Smirnova', email: EMAIL, phone: '+7 912 555-01-02' },
      source: 'shop',
    });
    expect(registered.status).toBe(201);
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const completedExport = async (client: ApiClient, fields: string[]) => {
    const requested = await client.post('/v1/exports', {
      purposeId: 'crm-care',
      justification: 'customer care call list for the week',
      fields,
    });
    expect(requested.status).toBe(202);
    const exportId = requested.body.exportId as string;
    await waitFor(
      async () => (await client.get(`/v1/exports/${exportId}`)).body.status === 'completed',
      10_000,
    );
    return exportId;
  };
  const download = async (bearer: string, exportId: string, role?: string) => {
    const response = await fetch(`${t.baseUrl}/v1/exports/${exportId}/download`, {
      headers: {
        authorization: `Bearer ${bearer}`,
        ...(role ? { 'x-custodian-role': role } : {}),
      },
    });
    return { status: response.status, text: await response.text() };
  };

  it("refuses an analyst's token whose sub names the service: it never becomes the service", async () => {
    const exportId = await completedExport(as.svc, ['name', 'email', 'phone']);
    expect((await download(t.keys.svc, exportId)).text).toContain(EMAIL);

    const forged = await token('svc', ['analyst']);
    const attempt = await download(forged, exportId);
    expect(attempt.status).toBe(401);
    expect(attempt.text).toMatch(/not a person registered in the actors file/);
    expect(attempt.text).not.toContain(EMAIL);
    // Even claiming the service's own role does not make the token the service.
    expect((await download(await token('svc', ['service']), exportId)).status).toBe(401);
    expect((await new ApiClient(t.baseUrl, forged).get(`/v1/exports/${exportId}`)).status).toBe(
      401,
    );
    // A real person (analyst) with a valid token is not the requester either.
    expect((await download(await token('ana', ['analyst']), exportId)).status).toBe(404);
  });

  it('re-checks at download time that the role may see every field as the export shows it', async () => {
    // Requested as sales, which sees the phone in full; the analyst role sees no phone.
    const exportId = await completedExport(as.pat.as('sales'), ['phone', 'name']);
    const before = await scenario.head();
    const refused = await as.pat.as('analyst').get(`/v1/exports/${exportId}/download`);
    expect(refused.status).toBe(403);
    expect(refused.body.message).toMatch(/role "analyst" may see field "phone" only hidden/);
    expect(refused.body.details).toEqual([
      { field: 'X-Custodian-Role', problem: expect.any(String) },
    ]);
    expect(JSON.stringify(refused.body)).not.toContain('555');
    // Refused before anything is recorded.
    expect(await scenario.head()).toBe(before);

    const allowed = await download(t.keys.pat, exportId, 'sales');
    expect(allowed.status).toBe(200);
    expect(allowed.text).toContain('+7 912 555-01-02');
  });
});
