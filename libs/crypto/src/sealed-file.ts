/**
 * Sealed files: export files that hold customers' personal values, encrypted as they are
 * written so plaintext never reaches the disk. A streaming AES-256-GCM construction in the
 * spirit of STREAM: the plaintext is cut into chunks of at most 64 KiB, each sealed on its own,
 * so a file of any size is written and read in constant memory and every chunk is verified
 * before a reader sees it.
 *
 *   file   = "CSF1" | salt (32) | chunk… (at least one; the last one is final)
 *   chunk  = ciphertext length (uint32 BE) | IV (12) | ciphertext | tag (16)
 *   aad    = "custodian/sealed-file/v1" NUL | chunk index (uint64 BE) | final (1 byte) | label
 *
 * Each file has its own key, HKDF-SHA256(master key, salt), so IVs never meet across files and
 * random per-chunk IVs are safe far beyond any export's size. The index in the aad detects
 * reordered or dropped chunks, the final flag a file cut at a chunk boundary or extended after
 * its end, and the label (e.g. export id and format) a file renamed to another export's name.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DecryptionError, InvalidCryptoInputError } from './crypto.errors';

const ALGORITHM = 'aes-256-gcm';
const MAGIC = Buffer.from('CSF1', 'ascii');
const SALT_BYTES = 32;
const HEADER_BYTES = MAGIC.length + SALT_BYTES;
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const LENGTH_BYTES = 4;
const CHUNK_BYTES = 64 * 1024;
const KEY_INFO = 'custodian/sealed-file/v1';
const AAD_PREFIX = Buffer.from(`${KEY_INFO}\0`, 'utf8');

/** What was sealed: the plaintext's size and hex SHA-256, e.g. for an export's manifest. */
export interface SealedFileSummary {
  bytes: number;
  sha256: string;
}

/**
 * Writes one sealed file. Data goes to `<path>.partial`, which `close` fsyncs and renames to
 * `path`, so a crash never leaves a half file under the real name. Writes are queued in call
 * order; awaiting each `write` applies the disk's backpressure. After a failed write only
 * `abort` is useful (`close` then fails too, and removes the partial file itself).
 */
export class SealedFileWriter {
  private readonly partialPath: string;
  private readonly key: Buffer;
  private readonly label: Buffer;
  private readonly hash = createHash('sha256');
  private bytes = 0;
  private index = 0;
  private position = 0;
  /** Plaintext not yet sealed: sealed only once more follows, so the last chunk can be final. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private handle: FileHandle | undefined;
  /** Every disk operation, in order; a failure makes all later ones fail with it. */
  private queue: Promise<void>;
  private state: 'open' | 'closing' | 'closed' | 'aborted' = 'open';

  constructor(
    private readonly path: string,
    masterKey: Buffer,
    label: string,
  ) {
    if (typeof path !== 'string' || path.length === 0) {
      throw new InvalidCryptoInputError('path', 'must be a non-empty string');
    }
    checkMasterKey(masterKey);
    this.label = labelBytes(label);
    this.partialPath = `${path}.partial`;
    const salt = randomBytes(SALT_BYTES);
    this.key = fileKey(masterKey, salt);
    const header = Buffer.concat([MAGIC, salt]);
    // Owner-only: the content is ciphertext, but the file still need not be anyone else's.
    this.queue = open(this.partialPath, 'w', 0o600).then(async (handle) => {
      this.handle = handle;
      await this.append(header);
    });
    // Handled here so a failed open is reported by the next write or close, not as unhandled.
    this.queue.catch(() => undefined);
  }

  /** Strings are written as UTF-8. Resolves once the sealed chunks it completed are on disk. */
  async write(data: string | Buffer): Promise<void> {
    this.checkOpen();
    let plaintext: Buffer;
    if (typeof data === 'string') plaintext = Buffer.from(data, 'utf8');
    // Copied, so a caller reusing its buffer cannot change data still waiting to be sealed.
    else if (Buffer.isBuffer(data)) plaintext = Buffer.from(data);
    else throw new InvalidCryptoInputError('data', 'must be a string or a Buffer');
    if (plaintext.length === 0) return this.queue;

    this.hash.update(plaintext);
    this.bytes += plaintext.length;
    this.pending.push(plaintext);
    this.pendingBytes += plaintext.length;
    if (this.pendingBytes <= CHUNK_BYTES) return this.queue;

    const buffered = Buffer.concat(this.pending);
    const frames: Buffer[] = [];
    let offset = 0;
    // Strictly more than a chunk must remain, so the chunk sealed here is not the last one.
    while (buffered.length - offset > CHUNK_BYTES) {
      frames.push(this.seal(buffered.subarray(offset, offset + CHUNK_BYTES), false));
      offset += CHUNK_BYTES;
    }
    this.pending = [buffered.subarray(offset)];
    this.pendingBytes = buffered.length - offset;
    return this.enqueue(() => this.append(Buffer.concat(frames)));
  }

  /** Seals the final chunk, fsyncs, and moves the file to its real name. */
  async close(): Promise<SealedFileSummary> {
    this.checkOpen();
    this.state = 'closing';
    const frame = this.seal(Buffer.concat(this.pending), true);
    this.pending = [];
    try {
      await this.enqueue(async () => {
        await this.append(frame);
        await this.file().sync();
      });
      await this.file().close();
      this.handle = undefined;
      await rename(this.partialPath, this.path);
    } catch (error) {
      await this.discard();
      this.state = 'aborted';
      throw error;
    }
    this.state = 'closed';
    await syncDirectory(dirname(this.path));
    return { bytes: this.bytes, sha256: this.hash.digest('hex') };
  }

  /** Stops writing and removes the partial file. Does nothing once `close` has begun. */
  async abort(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    this.pending = [];
    await this.discard();
  }

  private checkOpen(): void {
    if (this.state !== 'open') throw new Error(`the sealed file writer is ${this.state}`);
  }

  private enqueue(operation: () => Promise<void>): Promise<void> {
    this.queue = this.queue.then(operation);
    return this.queue;
  }

  private seal(plaintext: Buffer, final: boolean): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(chunkAad(this.label, this.index++, final));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const length = Buffer.alloc(LENGTH_BYTES);
    length.writeUInt32BE(ciphertext.length);
    return Buffer.concat([length, iv, ciphertext, cipher.getAuthTag()]);
  }

  /** Positional writes, looping because a write may take only part of the buffer. */
  private async append(data: Buffer): Promise<void> {
    let offset = 0;
    while (offset < data.length) {
      const { bytesWritten } = await this.file().write(
        data,
        offset,
        data.length - offset,
        this.position,
      );
      offset += bytesWritten;
      this.position += bytesWritten;
    }
  }

  private file(): FileHandle {
    if (!this.handle) throw new Error('the sealed file is not open');
    return this.handle;
  }

  /** Waits for queued writes to settle, then closes and removes the partial file. */
  private async discard(): Promise<void> {
    await this.queue.catch(() => undefined);
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close().catch(() => undefined);
    await rm(this.partialPath, { force: true });
  }
}

/** Starts a sealed file at `path`; the label must be given again to open it. */
export function openSealedFileWriter(
  path: string,
  masterKey: Buffer,
  label: string,
): SealedFileWriter {
  return new SealedFileWriter(path, masterKey, label);
}

/**
 * The plaintext of a sealed file, chunk by chunk; each chunk is authenticated before it is
 * yielded. A wrong key or label, or an altered, truncated, extended or reordered file throws a
 * DecryptionError, possibly after earlier (genuine) chunks were yielded: a consumer must treat
 * what it read as void unless the iteration completes.
 */
export function openSealedFile(
  path: string,
  masterKey: Buffer,
  label: string,
): AsyncIterable<Buffer> {
  if (typeof path !== 'string' || path.length === 0) {
    throw new InvalidCryptoInputError('path', 'must be a non-empty string');
  }
  checkMasterKey(masterKey);
  return readChunks(path, masterKey, labelBytes(label));
}

async function* readChunks(
  path: string,
  masterKey: Buffer,
  label: Buffer,
): AsyncGenerator<Buffer, void, undefined> {
  const file = await open(path, 'r');
  try {
    // The size tells which chunk is the last one; the final flag in its aad then proves it.
    const { size } = await file.stat();
    const header = await readAt(file, 0, HEADER_BYTES);
    if (header.length < HEADER_BYTES || !header.subarray(0, MAGIC.length).equals(MAGIC)) {
      throw new DecryptionError('malformed', 'not a sealed file');
    }
    const key = fileKey(masterKey, header.subarray(MAGIC.length));
    let position = HEADER_BYTES;
    let index = 0;
    // At least one chunk: even an empty plaintext ends with a final chunk.
    do {
      if (position + LENGTH_BYTES > size) {
        throw new DecryptionError('authentication', 'the file ends before its final chunk');
      }
      const length = (await readAt(file, position, LENGTH_BYTES)).readUInt32BE(0);
      const frameBytes = LENGTH_BYTES + IV_BYTES + length + TAG_BYTES;
      if (length > CHUNK_BYTES) throw new DecryptionError('malformed', 'chunk too long');
      if (position + frameBytes > size) {
        throw new DecryptionError('malformed', 'the file ends inside a chunk');
      }
      const body = await readAt(file, position + LENGTH_BYTES, frameBytes - LENGTH_BYTES);
      position += frameBytes;
      yield openChunk(key, body, chunkAad(label, index++, position === size));
    } while (position < size);
  } finally {
    await file.close();
  }
}

/** Reads up to `length` bytes at `position`; fewer only at the end of the file. */
async function readAt(file: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await file.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

/** `body` is IV | ciphertext | tag. */
function openChunk(key: Buffer, body: Buffer, aad: Buffer): Buffer {
  try {
    const iv = body.subarray(0, IV_BYTES);
    const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    return Buffer.concat([
      decipher.update(body.subarray(IV_BYTES, body.length - TAG_BYTES)),
      decipher.final(),
    ]);
  } catch {
    throw new DecryptionError(
      'authentication',
      'authentication failed (wrong key or label, or the file was altered, cut or reordered)',
    );
  }
}

function fileKey(masterKey: Buffer, salt: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, salt, KEY_INFO, KEY_BYTES));
}

/** Fixed-size fields first, the label last, so the aad splits one way only. */
function chunkAad(label: Buffer, index: number, final: boolean): Buffer {
  const position = Buffer.alloc(9);
  position.writeBigUInt64BE(BigInt(index));
  position[8] = final ? 1 : 0;
  return Buffer.concat([AAD_PREFIX, position, label]);
}

function labelBytes(label: string): Buffer {
  if (typeof label !== 'string') throw new InvalidCryptoInputError('label', 'must be a string');
  return Buffer.from(label, 'utf8');
}

function checkMasterKey(masterKey: Buffer): void {
  if (!Buffer.isBuffer(masterKey) || masterKey.length !== KEY_BYTES) {
    throw new InvalidCryptoInputError('masterKey', 'must be a Buffer of 32 bytes');
  }
}

/**
 * Makes the rename durable. Best effort: some platforms cannot open or fsync a directory, and
 * the file itself is already complete on disk.
 */
async function syncDirectory(directory: string): Promise<void> {
  try {
    const handle = await open(directory, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // The data is safe; only the new name might not survive a power loss.
  }
}
