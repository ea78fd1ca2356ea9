/**
 * The real API on <dataDir>, listening on 127.0.0.1 (any port), whose key destruction never
 * finishes: it prints "DESTROYING <subjectId>" when one begins (after `SubjectErased` is in the
 * log) and then waits forever, so the parent can kill it with SIGKILL between the erasure's
 * event and the key's destruction. Prints "READY <port>" once listening.
 * Usage: node -r test/support/register-ts.cjs test/crash/erasure-crash-child.ts <dataDir> <actorsFile>
 */
import 'reflect-metadata';
import { KEY_STORE, SubjectKeys, type KeyStore } from '@custodian/crypto';
import { loadConfig } from '@custodian/platform';
import { createApi } from '../../apps/api/src/create-api';

const write = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  const [dataDir, actorsFile] = process.argv.slice(2);
  const config = loadConfig({
    CUSTODIAN_DATA_DIR: dataDir,
    CUSTODIAN_ACTORS_FILE: actorsFile,
    LOG_LEVEL: 'warn',
    PORT: '0',
  });
  const app = await createApi(config);
  // Both ways a key is destroyed: the erasure's own (SubjectKeys) and the reconciler's, which
  // needs only the key store. The first to begin prints; neither ever finishes.
  const announced = new Set<string>();
  const hang = (subjectId: string) => {
    if (!announced.has(subjectId)) write(`DESTROYING ${subjectId}`);
    announced.add(subjectId);
    return new Promise<never>(() => undefined);
  };
  app.get(SubjectKeys).destroy = hang;
  app.get<KeyStore>(KEY_STORE).destroy = hang;
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address();
  write(`READY ${typeof address === 'object' && address ? address.port : 0}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
