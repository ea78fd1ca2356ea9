import { EVENT_STORE, type EventStore } from '@custodian/event-store';
import { ApiClient, startTestApp, type TestApp } from '@test/support';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ISSUER = 'https://idp.example.test';

async function token(
  key: KeyLike,
  claims: Record<string, unknown>,
  options: { issuer?: string; audience?: string; expiresIn?: string; kid?: string } = {},
) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', ...(options.kid ? { kid: options.kid } : {}) })
    .setIssuer(options.issuer ?? ISSUER)
    .setAudience(options.audience ?? 'custodian')
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '5m')
    .sign(key);
}

describe('JWT bearer tokens for people (public key file)', () => {
  let t: TestApp;
  let keys: { privateKey: KeyLike; publicKey: KeyLike };
  let other: { privateKey: KeyLike };
  let dir: string;
  const as = (jwt: string) => new ApiClient(t.baseUrl, jwt);

  beforeAll(async () => {
    keys = await generateKeyPair('ES256');
    other = await generateKeyPair('ES256');
    dir = mkdtempSync(join(tmpdir(), 'custodian-jwt-'));
    writeFileSync(join(dir, 'idp.pem'), await exportSPKI(keys.publicKey));
    t = await startTestApp(
      { CUSTODIAN_JWT_ISSUER: ISSUER, CUSTODIAN_JWT_PUBLIC_KEY_FILE: join(dir, 'idp.pem') },
      [
        { id: 'crm', roles: ['service'] },
        { id: 'u-1042', roles: ['dpo', 'analyst'], kind: 'person' },
        { id: 'u-2001', roles: ['admin'], kind: 'person' },
        { id: 'u-1', roles: ['dpo'], kind: 'person' },
        { id: 'u-3', roles: ['analyst'], kind: 'person' },
      ],
    );
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('accepts a valid token: sub is the person, the roles claim their roles', async () => {
    const jwt = await token(keys.privateKey, {
      sub: 'u-1042',
      roles: ['dpo', 'analyst', 'not-a-role'],
    });
    expect((await as(jwt).get('/v1/purposes')).status).toBe(200);
    expect((await as(jwt).as('analyst').get('/v1/dashboard/consents')).status).toBe(200);
    expect((await as(jwt).as('service').get('/v1/purposes')).status).toBe(403);
    // API keys keep working beside JWTs.
    expect((await new ApiClient(t.baseUrl, t.keys.crm).get('/v1/purposes')).status).toBe(200);
  });

  it('records the person as the actor of what they do', async () => {
    const jwt = await token(keys.privateKey, { sub: 'u-2001', roles: ['admin'] });
    const created = await as(jwt).post('/v1/field-catalogue', {
      name: 'favouriteShop',
      category: 'behavioural',
      description: 'Shop',
    });
    expect(created.status).toBe(201);
    const [declared] = await t.app.get<EventStore>(EVENT_STORE).readStream('catalogue-fields');
    expect(declared.metadata.actor).toEqual({ id: 'u-2001', role: 'admin' });
  });

  it.each([
    [
      'an expired token',
      async () => token(keys.privateKey, { sub: 'u-1', roles: ['dpo'] }, { expiresIn: '-1m' }),
      /expired/,
    ],
    [
      'a token signed with another key',
      async () => token(other.privateKey, { sub: 'u-1', roles: ['dpo'] }),
      /not valid/,
    ],
    [
      'a token from another issuer',
      async () =>
        token(keys.privateKey, { sub: 'u-1', roles: ['dpo'] }, { issuer: 'https://evil.test' }),
      /not valid/,
    ],
    [
      'a token for another audience',
      async () => token(keys.privateKey, { sub: 'u-1', roles: ['dpo'] }, { audience: 'crm' }),
      /not valid/,
    ],
    [
      'an unsigned token (alg none)',
      async () => {
        const header = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
        const body = Buffer.from(
          JSON.stringify({
            sub: 'u-1',
            roles: ['dpo'],
            iss: ISSUER,
            aud: 'custodian',
            exp: Math.floor(Date.now() / 1000) + 60,
          }),
        ).toString('base64url');
        return `${header}.${body}.`;
      },
      /not valid/,
    ],
    [
      'a tampered token',
      async () => {
        const [h, , s] = (await token(keys.privateKey, { sub: 'u-1', roles: ['analyst'] })).split(
          '.',
        );
        const forged = Buffer.from(
          JSON.stringify({
            sub: 'u-1',
            roles: ['dpo'],
            iss: ISSUER,
            aud: 'custodian',
            exp: Math.floor(Date.now() / 1000) + 60,
          }),
        ).toString('base64url');
        return `${h}.${forged}.${s}`;
      },
      /not valid/,
    ],
    [
      'a token without an expiry',
      async () =>
        new SignJWT({ sub: 'u-1', roles: ['dpo'] })
          .setProtectedHeader({ alg: 'ES256' })
          .setIssuer(ISSUER)
          .setAudience('custodian')
          .setIssuedAt()
          .sign(keys.privateKey),
      /no expiry \(exp claim\)/,
    ],
    [
      'a token that lives longer than 12 hours (exp - iat)',
      async () => token(keys.privateKey, { sub: 'u-1', roles: ['dpo'] }, { expiresIn: '13h' }),
      /lifetime \(exp - iat\) exceeds 12 hour\(s\)/,
    ],
    [
      'a token without iat that expires more than 12 hours from now',
      async () =>
        new SignJWT({ sub: 'u-1', roles: ['dpo'] })
          .setProtectedHeader({ alg: 'ES256' })
          .setIssuer(ISSUER)
          .setAudience('custodian')
          .setExpirationTime('13h')
          .sign(keys.privateKey),
      /expires more than 12 hour\(s\) \(CUSTODIAN_JWT_MAX_LIFETIME_HOURS\) from now/,
    ],
    [
      'a token whose subject is a key actor (a service), not a person',
      async () => token(keys.privateKey, { sub: 'crm', roles: ['service'] }),
      /not a person registered in the actors file/,
    ],
    [
      'a token whose subject is in no actors file',
      async () => token(keys.privateKey, { sub: 'u-404', roles: ['dpo'] }),
      /not a person registered in the actors file/,
    ],
    [
      'a token whose subject is an email',
      async () => token(keys.privateKey, { sub: 'ivan@example.com', roles: ['dpo'] }),
      /opaque id/,
    ],
  ])('refuses %s with 401', async (_, make, message) => {
    const response = await as(await make()).get('/v1/purposes');
    expect(response.status).toBe(401);
    expect(response.body.message).toMatch(message);
    expect(JSON.stringify(response.body)).not.toContain('ivan@example.com');
  });

  it('accepts a token of up to the maximum lifetime', async () => {
    const jwt = await token(keys.privateKey, { sub: 'u-1', roles: ['dpo'] }, { expiresIn: '11h' });
    expect((await as(jwt).get('/v1/purposes')).status).toBe(200);
  });

  it('grants a person only the roles both the token and the actors file name', async () => {
    // u-2001 is an admin in the actors file; a token that also claims dpo does not make them one.
    const jwt = await token(keys.privateKey, { sub: 'u-2001', roles: ['admin', 'dpo'] });
    expect((await as(jwt).as('admin').get('/v1/purposes')).status).toBe(200);
    expect((await as(jwt).as('dpo').get('/v1/purposes')).status).toBe(403);
    // u-3 is an analyst; a token naming only roles the file does not grant holds none.
    const none = await token(keys.privateKey, { sub: 'u-3', roles: ['admin'] });
    expect((await as(none).get('/v1/purposes')).status).toBe(403);
  });

  it('answers 403 for a valid token that carries no known role', async () => {
    const jwt = await token(keys.privateKey, { sub: 'u-3', roles: ['janitor'] });
    expect((await as(jwt).get('/v1/purposes')).status).toBe(403);
  });
});

describe('JWT bearer tokens verified against a JWKS URL', () => {
  let t: TestApp;
  let server: Server;
  let keys: { privateKey: KeyLike; publicKey: KeyLike };
  let other: { privateKey: KeyLike };

  beforeAll(async () => {
    keys = await generateKeyPair('ES256');
    other = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(keys.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    server = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    t = await startTestApp(
      {
        CUSTODIAN_JWT_ISSUER: ISSUER,
        CUSTODIAN_JWT_JWKS_URL: `http://127.0.0.1:${port}/jwks.json`,
      },
      [
        { id: 'crm', roles: ['service'] },
        { id: 'u-9', roles: ['dpo'], kind: 'person' },
      ],
    );
  });
  afterAll(async () => {
    await t.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it('accepts tokens signed by a key in the set and refuses others', async () => {
    const good = await token(keys.privateKey, { sub: 'u-9', roles: ['dpo'] }, { kid: 'k1' });
    expect((await new ApiClient(t.baseUrl, good).get('/v1/purposes')).status).toBe(200);
    const bad = await token(other.privateKey, { sub: 'u-9', roles: ['dpo'] }, { kid: 'k1' });
    expect((await new ApiClient(t.baseUrl, bad).get('/v1/purposes')).status).toBe(401);
  });
});
