import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DecryptionError, InvalidCryptoInputError } from './crypto.errors';
import { openSealedFile, openSealedFileWriter } from './sealed-file';

const KiB = 1024;
const HEADER = 4 + 32;
const masterKey = randomBytes(32);
const label = 'export:0f1e2d3c:ndjson';

let dir: string;
let file: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sealed-file-'));
  file = join(dir, 'export.ndjson.sealed');
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function seal(plaintext: Buffer, pieces = 1): Promise<{ bytes: number; sha256: string }> {
  const writer = openSealedFileWriter(file, masterKey, label);
  const step = Math.ceil(plaintext.length / pieces) || 1;
  for (let offset = 0; offset < plaintext.length; offset += step) {
    await writer.write(plaintext.subarray(offset, offset + step));
  }
  return writer.close();
}

async function unseal(key = masterKey, expectedLabel = label): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of openSealedFile(file, key, expectedLabel)) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function decryptError(): Promise<DecryptionError> {
  const error = await unseal().then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(DecryptionError);
  return error as DecryptionError;
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** [offset, length] of each chunk frame in the file. */
function frames(data: Buffer): Array<[number, number]> {
  const result: Array<[number, number]> = [];
  for (let offset = HEADER; offset < data.length;) {
    const length = 4 + 12 + data.readUInt32BE(offset) + 16;
    result.push([offset, length]);
    offset += length;
  }
  return result;
}

describe('sealed files', () => {
  it.each([
    ['empty', 0, 1],
    ['small', 100, 1],
    ['exactly 64 KiB', 64 * KiB, 1],
    ['64 KiB and one byte', 64 * KiB + 1, 1],
    ['multi-megabyte, in one write', 3 * 1024 * KiB + 12345, 1],
    ['multi-megabyte, in uneven writes', 3 * 1024 * KiB + 12345, 37],
  ])('round-trips %s content', async (_name, size, pieces) => {
    const plaintext = randomBytes(size);
    const summary = await seal(plaintext, pieces);
    expect(summary).toEqual({ bytes: size, sha256: sha256(plaintext) });
    expect(frames(readFileSync(file))).toHaveLength(Math.max(1, Math.ceil(size / (64 * KiB))));
    const opened = await unseal();
    expect(opened.length).toBe(size);
    expect(sha256(opened)).toBe(sha256(plaintext));
  });

  it('yields chunks of at most 64 KiB and writes one final chunk for empty content', async () => {
    await seal(randomBytes(200 * KiB), 7);
    const sizes: number[] = [];
    for await (const chunk of openSealedFile(file, masterKey, label)) sizes.push(chunk.length);
    expect(sizes).toEqual([64 * KiB, 64 * KiB, 64 * KiB, 8 * KiB]);

    await seal(Buffer.alloc(0));
    expect(frames(readFileSync(file))).toHaveLength(1);
  });

  it('writes strings as UTF-8 and never puts the plaintext on disk', async () => {
    const writer = openSealedFileWriter(file, masterKey, label);
    const line = '{"email":"ivan.petrov@example.com","name":"Иван Петров"}\n';
    for (let i = 0; i < 2000; i++) await writer.write(line);
    const summary = await writer.close();
    expect(summary.bytes).toBe(Buffer.byteLength(line) * 2000);

    const onDisk = readFileSync(file);
    expect(onDisk.subarray(0, 4).toString('ascii')).toBe('CSF1');
    expect(onDisk.includes('ivan.petrov')).toBe(false);
    expect(onDisk.includes(Buffer.from('Иван', 'utf8'))).toBe(false);
    expect((await unseal()).toString('utf8')).toBe(line.repeat(2000));
  });

  it('keeps writes in call order even when they are not awaited one by one', async () => {
    const writer = openSealedFileWriter(file, masterKey, label);
    const parts = Array.from({ length: 50 }, () => randomBytes(5 * KiB));
    await Promise.all(parts.map((part) => writer.write(part)));
    await writer.close();
    expect((await unseal()).equals(Buffer.concat(parts))).toBe(true);
  });

  it('refuses a file with one byte changed anywhere', async () => {
    await seal(randomBytes(150 * KiB));
    const original = readFileSync(file);
    // Salt, a length field, an IV, ciphertext and a tag.
    for (const offset of [10, HEADER + 1, HEADER + 6, HEADER + 1000, original.length - 1]) {
      const tampered = Buffer.from(original);
      tampered[offset]! ^= 0x01;
      writeFileSync(file, tampered);
      await decryptError();
    }
  });

  it('refuses a file that is not a sealed file', async () => {
    writeFileSync(file, 'plain text, not sealed');
    expect((await decryptError()).reason).toBe('malformed');
  });

  it('refuses a file without its last chunk, or cut inside it', async () => {
    await seal(randomBytes(150 * KiB));
    const original = readFileSync(file);
    const [, , last] = frames(original);
    writeFileSync(file, original.subarray(0, last![0]));
    expect((await decryptError()).reason).toBe('authentication');
    writeFileSync(file, original.subarray(0, original.length - 1));
    await decryptError();
    writeFileSync(file, original.subarray(0, HEADER));
    await decryptError();
  });

  it('refuses a file with data appended after its final chunk', async () => {
    await seal(randomBytes(10 * KiB));
    const original = readFileSync(file);
    writeFileSync(file, Buffer.concat([original, original.subarray(HEADER)]));
    await decryptError();
  });

  it('refuses a file with two chunks swapped or one dropped', async () => {
    await seal(randomBytes(200 * KiB));
    const original = readFileSync(file);
    const [first, second, third, fourth] = frames(original).map(([offset, length]) =>
      original.subarray(offset, offset + length),
    );
    const header = original.subarray(0, HEADER);
    writeFileSync(file, Buffer.concat([header, second!, first!, third!, fourth!]));
    expect((await decryptError()).reason).toBe('authentication');
    writeFileSync(file, Buffer.concat([header, first!, third!, fourth!]));
    expect((await decryptError()).reason).toBe('authentication');
  });

  it('refuses a wrong label or a wrong master key', async () => {
    await seal(Buffer.from('personal values'));
    await expect(unseal(masterKey, 'export:other:ndjson')).rejects.toThrow(DecryptionError);
    await expect(unseal(randomBytes(32))).rejects.toThrow(DecryptionError);
  });

  it('leaves no partial file after close or abort, and nothing at all after abort', async () => {
    const writer = openSealedFileWriter(file, masterKey, label);
    await writer.write(randomBytes(100 * KiB));
    expect(existsSync(`${file}.partial`)).toBe(true);
    expect(existsSync(file)).toBe(false);
    await writer.close();
    expect(readdirSync(dir)).toEqual(['export.ndjson.sealed']);
    await writer.abort();
    expect(existsSync(file)).toBe(true);

    rmSync(file);
    const aborted = openSealedFileWriter(file, masterKey, label);
    await aborted.write(randomBytes(100 * KiB));
    await aborted.abort();
    expect(readdirSync(dir)).toEqual([]);
    await expect(aborted.write('more')).rejects.toThrow('aborted');
    await expect(aborted.close()).rejects.toThrow('aborted');
  });

  it('removes the partial file when it cannot be completed', async () => {
    const writer = openSealedFileWriter(join(dir, 'missing', 'export.csv'), masterKey, label);
    await expect(writer.write('x')).rejects.toThrow();
    await expect(writer.close()).rejects.toThrow();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses a master key that is not 32 bytes and a label that is not a string', () => {
    expect(() => openSealedFileWriter(file, randomBytes(16), label)).toThrow(
      InvalidCryptoInputError,
    );
    expect(() => openSealedFile(file, randomBytes(31), label)).toThrow(InvalidCryptoInputError);
    expect(() => openSealedFile(file, masterKey, 42 as unknown as string)).toThrow(
      InvalidCryptoInputError,
    );
  });
});
