import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, loadConfig } from './custodian-config';

describe('loadConfig', () => {
  it('defaults to the embedded stores in ./data on 127.0.0.1:3000', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      dataDir: resolve('./data'),
      actorsFile: resolve('./data/actors.json'),
      eventStore: { kind: 'sqlite', file: resolve('./data/events.sqlite') },
      readStore: { kind: 'sqlite', file: resolve('./data/read.sqlite') },
      projector: 'in-process',
      logLevel: 'info',
    });
  });

  it('switches to EventStoreDB and MongoDB when their variables are set', () => {
    const config = loadConfig({
      EVENTSTORE_CONNECTION_STRING: 'esdb://localhost:2113?tls=false',
      MONGODB_URI: 'mongodb://localhost:27017/?replicaSet=rs0',
      MONGODB_DATABASE: 'crm_privacy',
    });
    expect(config.eventStore).toEqual({
      kind: 'eventstoredb',
      connectionString: 'esdb://localhost:2113?tls=false',
    });
    expect(config.readStore).toEqual({
      kind: 'mongodb',
      uri: 'mongodb://localhost:27017/?replicaSet=rs0',
      database: 'crm_privacy',
    });
  });

  it('reports every bad value at once, naming each variable, without echoing secrets', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: 'eighty',
        CUSTODIAN_MASTER_KEY: 'c2VjcmV0LWtleQ==',
        EVENTSTORE_CONNECTION_STRING: 'http://user:hunter2@host',
        MONGODB_URI: 'postgres://user:hunter2@host',
        CUSTODIAN_PROJECTOR: 'sometimes',
        LOG_LEVEL: 'loud',
        CUSTODIAN_PROJECTION_BATCH_SIZE: '0',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual([
      'CUSTODIAN_MASTER_KEY',
      'CUSTODIAN_PROJECTION_BATCH_SIZE',
      'CUSTODIAN_PROJECTOR',
      'EVENTSTORE_CONNECTION_STRING',
      'LOG_LEVEL',
      'MONGODB_URI',
      'PORT',
    ]);
    expect(problems).toHaveLength(7);
    expect((error as Error).message).not.toMatch(/hunter2|c2VjcmV0/);
  });

  it('accepts only the EventStoreDB schemes the client parses (not kurrentdb:// or kdb://)', () => {
    const problemsFor = (connectionString: string) => {
      try {
        loadConfig({ EVENTSTORE_CONNECTION_STRING: connectionString });
        return [];
      } catch (error) {
        return (error as ConfigError).problems.filter((p) =>
          p.startsWith('EVENTSTORE_CONNECTION_STRING'),
        );
      }
    };
    for (const ok of ['esdb://localhost:2113?tls=false', 'esdb+discover://cluster.example:2113'])
      expect(problemsFor(ok)).toEqual([]);
    for (const bad of ['kurrentdb://localhost:2113', 'kdb://localhost:2113', 'kdb+discover://x'])
      expect(problemsFor(bad)).toEqual([
        'EVENTSTORE_CONNECTION_STRING: must start with esdb:// or esdb+discover:// (the schemes @eventstore/db-client 6 accepts)',
      ]);
  });

  it('accepts a well-formed master key', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    expect(loadConfig({ CUSTODIAN_MASTER_KEY: key }).masterKey).toBe(key);
  });

  it('configures JWT verification only with an issuer and exactly one key source', () => {
    expect(loadConfig({}).jwt).toBeUndefined();
    expect(
      loadConfig({
        CUSTODIAN_JWT_ISSUER: 'https://idp',
        CUSTODIAN_JWT_JWKS_URL: 'https://idp/jwks',
      }).jwt,
    ).toEqual({
      issuer: 'https://idp',
      audience: 'custodian',
      rolesClaim: 'roles',
      maxLifetimeSeconds: 12 * 3600,
      jwksUrl: 'https://idp/jwks',
    });
    expect(
      loadConfig({
        CUSTODIAN_JWT_ISSUER: 'https://idp',
        CUSTODIAN_JWT_JWKS_URL: 'https://idp/jwks',
        CUSTODIAN_JWT_MAX_LIFETIME_HOURS: '2',
      }).jwt?.maxLifetimeSeconds,
    ).toBe(2 * 3600);
    const problems = (env: NodeJS.ProcessEnv) => {
      try {
        loadConfig(env);
        return [];
      } catch (error) {
        return (error as ConfigError).problems;
      }
    };
    expect(problems({ CUSTODIAN_JWT_ISSUER: 'https://idp' })).toEqual([
      expect.stringMatching(/^CUSTODIAN_JWT_ISSUER: needs/),
    ]);
    expect(problems({ CUSTODIAN_JWT_JWKS_URL: 'https://idp/jwks' })).toEqual([
      expect.stringMatching(/^CUSTODIAN_JWT_ISSUER: must be set/),
    ]);
    expect(
      problems({
        CUSTODIAN_JWT_ISSUER: 'https://idp',
        CUSTODIAN_JWT_JWKS_URL: 'http://idp.example/jwks',
      }),
    ).toEqual([expect.stringMatching(/^CUSTODIAN_JWT_JWKS_URL: must be an https URL/)]);
  });

  it('refuses a master key file or actors file that group or others may read or write, naming each and the fix', () => {
    const dir = mkdtempSync(join(tmpdir(), 'custodian-config-'));
    try {
      const keyFile = join(dir, 'master.key');
      const actorsFile = join(dir, 'actors.json');
      writeFileSync(keyFile, 'k');
      writeFileSync(actorsFile, '{}');
      const problems = (env: NodeJS.ProcessEnv) => {
        try {
          loadConfig({ CUSTODIAN_DATA_DIR: dir, ...env });
          return [];
        } catch (error) {
          return (error as ConfigError).problems;
        }
      };
      chmodSync(keyFile, 0o640);
      chmodSync(actorsFile, 0o602);
      expect(problems({})).toEqual([
        `the master key file ${keyFile} may be read or written by group or others (mode 0640); make it owner-only: chmod 600 ${keyFile}`,
        `the actors file ${actorsFile} may be read or written by group or others (mode 0602); make it owner-only: chmod 600 ${actorsFile}`,
      ]);
      // A key given inline is used instead of the file, which is then not checked.
      expect(problems({ CUSTODIAN_MASTER_KEY: Buffer.alloc(32, 7).toString('base64') })).toEqual([
        expect.stringContaining(`the actors file ${actorsFile}`),
      ]);
      chmodSync(keyFile, 0o600);
      chmodSync(actorsFile, 0o400);
      expect(problems({})).toEqual([]);
      // Absent files are created owner-only later, so they are no problem here.
      expect(problems({ CUSTODIAN_ACTORS_FILE: join(dir, 'none.json') })).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
