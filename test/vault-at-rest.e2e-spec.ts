import {
  blindIndex,
  decryptField,
  deriveKey,
  fieldAad,
  KEY_PURPOSES,
  keyWrapAad,
  loadMasterKey,
  normalizeEmail,
  normalizePhone,
  unwrapKey,
} from '@custodian/crypto';
import { canonicalJson } from '@custodian/platform';
import {
  ApiClient,
  consentBody,
  noticeBody,
  purposeBody,
  startTestApp,
  waitFor,
  type TestApp,
} from '@test/support';
import Database from 'better-sqlite3';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Every way a marker could sit in a file: plaintext, base64 at each byte alignment, hex. */
function encodings(marker: string): string[] {
  const bytes = Buffer.from(marker, 'utf8');
  const found = [marker, bytes.toString('hex'), bytes.toString('hex').toUpperCase()];
  for (let shift = 0; shift < 3; shift++) {
    for (const alphabet of ['base64', 'base64url'] as const) {
      const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString(alphabet);
      // Drop the characters that also depend on the padding bytes or on what follows.
      const start = Math.ceil((shift * 4) / 3);
      const end = Math.floor(((shift + bytes.length) * 4) / 3);
      found.push(encoded.slice(start, end));
    }
  }
  return found;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/**
 * Digests that would confirm a guessed value: SHA-1, SHA-256 and SHA-512 of each text, as
 * hex (both cases), base64, base64url and raw bytes.
 */
function digests(texts: string[]): Array<{ of: string; needle: Buffer }> {
  return texts.flatMap((text) =>
    (['sha1', 'sha256', 'sha512'] as const).flatMap((algorithm) => {
      const raw = createHash(algorithm).update(text, 'utf8').digest();
      return [
        raw,
        Buffer.from(raw.toString('hex')),
        Buffer.from(raw.toString('hex').toUpperCase()),
        Buffer.from(raw.toString('base64').replace(/=+$/, '')),
        Buffer.from(raw.toString('base64url')),
      ].map((needle) => ({ of: `${algorithm}(${text.slice(0, 40)})`, needle }));
    }),
  );
}

/** Every (file, what) whose bytes hold one of the needles. */
function scanBytes(dir: string, needles: Array<{ of: string; needle: Buffer }>): string[] {
  const hits = new Set<string>();
  for (const file of filesUnder(dir)) {
    const content = readFileSync(file);
    for (const { of, needle } of needles)
      if (content.indexOf(needle) >= 0) hits.add(`${file}: ${of}`);
  }
  return [...hits];
}

/** Every (file, marker) found, in any of the encodings. */
function scan(dir: string, markers: string[]): string[] {
  const hits = new Set<string>();
  for (const file of filesUnder(dir)) {
    const content = readFileSync(file);
    for (const marker of markers) {
      for (const encoded of encodings(marker)) {
        if (content.indexOf(encoded) >= 0) hits.add(`${file}: ${marker}`);
      }
    }
  }
  return [...hits];
}

describe('no personal value at rest in plaintext; erasure leaves nothing decryptable', () => {
  let t: TestApp;
  const token = randomBytes(6).toString('hex');
  const a = {
    name: `Markername${token}`,
    email: `markermail${token}@example.org`,
    phone: '+7 912 845-39-71',
    address: `Markerstreet ${token} 12`,
    loyaltyCard: `LCMARK${token}`,
  };
  const aChanged = { name: `Newmarkername${token}` };
  const b = { name: `Othername${token}`, email: `othermail${token}@example.org` };
  // Issue 17: text sent for redaction (never stored) and an insight's tag (sealed).
  const aiText = `Textmarker${token}`;
  const insightTag = `Insighttag${token}`;
  const markers = [
    aiText,
    insightTag,
    a.name,
    a.email,
    a.address,
    a.loyaltyCard,
    aChanged.name,
    b.name,
    b.email,
    '79128453971',
    '845-39-71',
  ];

  beforeAll(async () => {
    t = await startTestApp(
      (dataDir) => ({
        LOG_LEVEL: 'trace',
        CUSTODIAN_LOG_FILE: join(dataDir, 'logs', 'custodian.log'),
      }),
      [
        { id: 'admin-1', roles: ['admin', 'dpo'] },
        { id: 'crm', roles: ['service'] },
      ],
    );
  });
  afterAll(() => rmSync(t.dataDir, { recursive: true, force: true }));

  it('finds the markers nowhere under the data directory after every route has seen them, and erasure shreds', async () => {
    const admin = new ApiClient(t.baseUrl, t.keys['admin-1']);
    const dpo = admin.as('dpo');
    const crm = new ApiClient(t.baseUrl, t.keys.crm);
    const ok = (status: number) => expect(status).toBeLessThan(300);

    // Set-up: a purpose that justifies every field, and a custom field.
    ok(
      (
        await admin.post('/v1/field-catalogue', {
          name: 'loyaltyCard',
          category: 'financial',
          description: 'Card number',
        })
      ).status,
    );
    ok(
      (
        await admin.post(
          '/v1/purposes',
          purposeBody('crm-profile', {
            assessment: {
              ...purposeBody('x').assessment,
              minimumFields: ['name', 'email', 'phone', 'address', 'loyaltyCard'],
            },
          }),
        )
      ).status,
    );
    ok((await admin.post('/v1/purposes/crm-profile/notices', noticeBody('v1'))).status);
    ok((await dpo.post('/v1/purposes/crm-profile/activate')).status);

    // Every route, with the markers flowing through.
    const createdA = await crm.post(
      '/v1/subjects',
      { profile: a, source: 'web-signup' },
      { 'idempotency-key': `k-${token}` },
    );
    ok(createdA.status);
    const subjectA = createdA.body.subjectId as string;
    const createdB = await crm.post('/v1/subjects', { profile: b, source: 'web-signup' });
    const subjectB = createdB.body.subjectId as string;
    ok(
      (
        await crm.post(
          '/v1/subjects',
          { profile: a, source: 'web-signup' },
          { 'idempotency-key': `k-${token}` },
        )
      ).status,
    );
    ok(
      (
        await crm.request(
          'PATCH',
          `/v1/subjects/${subjectA}/profile`,
          { profile: aChanged },
          { 'if-match': '"0"' },
        )
      ).status,
    );
    expect(
      (
        await crm.request('PATCH', `/v1/subjects/${subjectA}/profile`, {
          profile: { email: `broken${a.email}@@` },
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await crm.post('/v1/subjects', {
          profile: { email: `x${a.name}`, shoe: a.address },
          source: 'web',
        })
      ).status,
    ).toBe(400);
    expect(
      (await crm.get(`/v1/subjects?email=${encodeURIComponent(a.email)}&purpose=crm-profile`)).body
        .subjects,
    ).toEqual([{ subjectId: subjectA }]);
    expect(
      (await crm.get(`/v1/subjects?phone=${encodeURIComponent(a.phone)}&purpose=crm-profile`)).body
        .subjects,
    ).toEqual([{ subjectId: subjectA }]);
    ok((await crm.post(`/v1/subjects/${subjectA}/consents`, consentBody('crm-profile'))).status);
    ok((await crm.get(`/v1/subjects/${subjectA}/consents`)).status);
    ok((await admin.get(`/v1/subjects/${subjectA}/consents/history`)).status);
    ok(
      (
        await crm.post('/v1/consent-gate', {
          purposeId: 'crm-profile',
          subjectIds: [subjectA, subjectB],
        })
      ).status,
    );
    const card = await crm.get(`/v1/subjects/${subjectA}/view?purpose=crm-profile`);
    expect(card.body.fields.email).toBe(a.email);
    // An export and a sandbox set of the customers, downloaded: the files at rest are sealed.
    const downloads: string[] = [];
    for (const mode of ['real', 'sandbox']) {
      const requested = await crm.post('/v1/exports', {
        purposeId: 'crm-profile',
        justification: 'quarterly reconciliation with the billing system',
        fields: ['name', 'email'],
        mode,
      });
      expect(requested.status).toBe(202);
      await waitFor(
        async () =>
          (await crm.get(`/v1/exports/${requested.body.exportId}`)).body.status === 'completed',
      );
      const file = await fetch(`${t.baseUrl}/v1/exports/${requested.body.exportId}/download`, {
        headers: { authorization: `Bearer ${t.keys.crm}` },
      });
      const text = await file.text();
      downloads.push(text);
      if (mode === 'real') expect(text).toContain(a.email);
      else expect(text).not.toContain(a.email);
    }
    ok((await admin.get(`/v1/subjects/${subjectA}/access-log`)).status);
    const dsar = await admin.get(`/v1/subjects/${subjectA}/dsar`);
    expect(dsar.body.profile.name.value).toBe(aChanged.name);
    expect(dsar.body.profile.loyaltyCard.value).toBe(a.loyaltyCard);

    // AI processing (issue 17): a redaction about A with the markers in its text, a restore of
    // a model's answer, an insight kept about A, and a redaction without a customer.
    ok(
      (
        await admin.post(
          '/v1/purposes',
          purposeBody('crm-ai', {
            legalBasis: 'legitimate_interest',
            flags: { marketing: false, profiling: false, saleOrShare: false, aiProcessing: true },
          }),
        )
      ).status,
    );
    ok((await dpo.post('/v1/purposes/crm-ai/activate')).status);
    ok(
      (
        await admin.post('/v1/connectors', {
          connectorId: 'llm-vendor',
          name: 'LLM vendor',
          kind: 'ai_vendor',
          owner: 'crm-team',
          purposes: ['crm-ai'],
          fields: [],
          country: 'DE',
          role: 'processor',
        })
      ).status,
    );
    const aiBody = {
      text: `${aiText}: ${aChanged.name} (${a.email}, ${a.phone}) wants a refund.`,
      purposeId: 'crm-ai',
      connectorId: 'llm-vendor',
    };
    const redacted = await crm.post('/v1/redactions', { ...aiBody, subjectId: subjectA });
    expect(redacted.status).toBe(201);
    expect(redacted.body.text).not.toContain(a.email);
    const restored = await crm.post(`/v1/redactions/${redacted.body.redactionId}/restore`, {
      text: `Answer: ${redacted.body.text}`,
    });
    expect(restored.body.text).toContain(a.email);
    ok((await crm.post('/v1/redactions', { ...aiBody, text: `${aiText} ${b.email}` })).status);
    ok(
      (
        await crm.post(`/v1/subjects/${subjectA}/insights`, {
          purposeId: 'crm-ai',
          connectorId: 'llm-vendor',
          redactionId: redacted.body.redactionId,
          kind: 'sentiment',
          value: insightTag,
        })
      ).status,
    );
    expect((await crm.get(`/v1/subjects/${subjectA}/view?purpose=crm-ai`)).body.insights).toEqual([
      expect.objectContaining({ value: insightTag }),
    ]);

    // Capture A's wrapped key as stored, to look for it afterwards.
    const keysDb = new Database(join(t.dataDir, 'keys.sqlite'), { readonly: true });
    const wrappedA = (
      keysDb.prepare('SELECT wrapped_key FROM keys WHERE subject_id = ?').get(subjectA) as {
        wrapped_key: string;
      }
    ).wrapped_key;
    keysDb.close();
    expect(wrappedA).toMatch(/^v1\./);

    expect(
      (
        await crm.post(`/v1/subjects/${subjectA}/erasure`, {
          reason: 'data_subject_request',
          requestedVia: 'web',
        })
      ).status,
    ).toBe(202);
    ok((await dpo.get(`/v1/subjects/${subjectA}/erasure`)).status);
    expect((await admin.get(`/v1/subjects/${subjectA}/dsar`)).status).toBe(410);
    await t.stop();

    // 1. No marker in any file: event store, read store, key store, WAL/SHM, logs, actors, master key.
    const files = filesUnder(t.dataDir).map((f) => f.slice(t.dataDir.length + 1));
    expect(files).toEqual(
      expect.arrayContaining([
        'events.sqlite',
        'read.sqlite',
        'keys.sqlite',
        'master.key',
        'logs/custodian.log',
      ]),
    );
    expect(readFileSync(join(t.dataDir, 'logs', 'custodian.log'), 'utf8')).toContain(
      '"route":"/v1/subjects/:subjectId/view"',
    );
    expect(scan(t.dataDir, markers)).toEqual([]);
    // The scanner itself finds markers hidden in each encoding (so an empty result means something).
    const control = join(t.dataDir, 'control.bin');
    writeFileSync(
      control,
      `xx${Buffer.from(`..${a.name}`).toString('base64')}yy${Buffer.from(b.email).toString('hex')}`,
    );
    expect(scan(t.dataDir, [a.name, b.email])).toHaveLength(2);
    rmSync(control);

    // 1b. Nothing derived from A's values either: no SHA-1/256/512 of a value or of a body that
    // held one (the registration as sent and in canonical form, the profile update, the export
    // file as downloaded), and no blind-index HMAC of A's email or phone (read store and WAL).
    const registration = { profile: a, source: 'web-signup' };
    const bodies = [
      JSON.stringify(registration),
      canonicalJson(registration),
      canonicalJson({ profile: aChanged }),
      JSON.stringify({ profile: aChanged }),
      ...downloads,
      JSON.stringify({ ...aiBody, subjectId: subjectA }),
      aiBody.text,
    ];
    const values = [
      ...Object.values(a),
      aChanged.name,
      insightTag,
      normalizeEmail(a.email)!,
      normalizePhone(a.phone)!,
    ];
    const indexKey = deriveKey(
      loadMasterKey({ dataDir: t.dataDir, embedded: true }).key,
      KEY_PURPOSES.blindIndex,
    );
    const hmacs = [
      blindIndex(indexKey, 'email', normalizeEmail(a.email)!),
      blindIndex(indexKey, 'phone', normalizePhone(a.phone)!),
    ].map((hmac) => ({ of: `blind index ${hmac.slice(0, 12)}`, needle: Buffer.from(hmac) }));
    const needles = [...digests([...values, ...bodies]), ...hmacs];
    expect(scanBytes(t.dataDir, needles)).toEqual([]);
    // The search finds a digest and an HMAC when one is planted (an empty result means something).
    writeFileSync(
      control,
      Buffer.concat([
        Buffer.from('xx'),
        createHash('sha512').update(canonicalJson(registration)).digest(),
        Buffer.from(`yy${createHash('sha1').update(a.email).digest('base64')}zz${hmacs[1].needle}`),
      ]),
    );
    expect(scanBytes(t.dataDir, needles)).toHaveLength(3);
    rmSync(control);

    // 2. With every data file and the master key in hand, A's values cannot be decrypted; B's can.
    const master = loadMasterKey({ dataDir: t.dataDir, embedded: true }).key;
    const kek = deriveKey(master, KEY_PURPOSES.keyWrap);
    const eventsDb = new Database(join(t.dataDir, 'events.sqlite'), { readonly: true });
    const ciphertexts = (subjectId: string) =>
      (
        eventsDb
          .prepare(
            "SELECT data FROM events WHERE stream = ? AND type IN ('SubjectRegistered', 'ProfileUpdated') ORDER BY revision",
          )
          .all(`subject-${subjectId}`) as Array<{ data: string }>
      )
        .flatMap(({ data }) =>
          Object.entries(
            (JSON.parse(data).fields ?? JSON.parse(data).changed) as Record<string, string | null>,
          ),
        )
        .filter((entry): entry is [string, string] => entry[1] !== null);
    const aValues = ciphertexts(subjectA);
    const bValues = ciphertexts(subjectB);
    eventsDb.close();
    expect(aValues.length).toBeGreaterThanOrEqual(6);

    const keys = new Database(join(t.dataDir, 'keys.sqlite'), { readonly: true });
    const stored = keys.prepare('SELECT subject_id, key_id, wrapped_key FROM keys').all() as Array<{
      subject_id: string;
      key_id: string;
      wrapped_key: string;
    }>;
    const tombstone = keys
      .prepare('SELECT key_id FROM tombstones WHERE subject_id = ?')
      .get(subjectA);
    keys.close();
    expect(stored.map((k) => k.subject_id)).not.toContain(subjectA);
    expect(tombstone).toBeDefined();
    for (const file of filesUnder(t.dataDir)) expect(readFileSync(file).indexOf(wrappedA)).toBe(-1);

    // Every key that is left, tried against every one of A's values: none opens.
    for (const key of stored) {
      const dek = unwrapKey(kek, key.wrapped_key, keyWrapAad(key.subject_id, key.key_id));
      for (const [field, value] of aValues) {
        expect(() => decryptField(dek, value, fieldAad(subjectA, field))).toThrow();
        expect(() => decryptField(dek, value, fieldAad(key.subject_id, field))).toThrow();
      }
    }
    // Other customers are untouched.
    const keyB = stored.find((k) => k.subject_id === subjectB)!;
    const dekB = unwrapKey(kek, keyB.wrapped_key, keyWrapAad(subjectB, keyB.key_id));
    expect(
      Object.fromEntries(
        bValues.map(([field, value]) => [
          field,
          decryptField(dekB, value, fieldAad(subjectB, field)),
        ]),
      ),
    ).toEqual(b);
  });
});
