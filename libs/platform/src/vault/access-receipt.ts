import {
  accessStream,
  type FieldMask,
  type FieldsAccessed,
  type SubjectExported,
} from '@custodian/domain';
import { Injectable, ServiceUnavailableException } from '@nestjs/common';
import {
  CommandExecutor,
  type CommandMeta,
  type RecordOptions,
} from '../commands/command-executor';

/** Only this module can make receipts: the token is not exported. */
const ISSUER = Symbol('custodian.AccessReceipt.issuer');
/** Every receipt issued; an object made some other way (`Object.create`) is not in it. */
const issued = new WeakSet<AccessReceipt>();

/**
 * Proof that a read's access record is in the log: the only thing `FieldVault` decrypts a
 * customer's values against. It names the customer and the fields the record says were shown
 * (any mask but `hidden`), and it can be used once, so each decryption has its own record.
 * It cannot be made outside this module (the constructor checks a token nobody else holds),
 * so a decrypted value with no access record before it is impossible by construction.
 */
export class AccessReceipt {
  private spent = false;

  constructor(
    issuer: symbol,
    readonly subjectId: string,
    readonly fields: ReadonlySet<string>,
  ) {
    if (issuer !== ISSUER) throw new Error('access receipts are issued only by AccessRecorder');
    issued.add(this);
  }

  /** Checks, without spending it, that this is an issued receipt for `subjectId`. */
  check(subjectId: string): void {
    if (!issued.has(this))
      throw new UnauditedDecryptionError(subjectId, 'no access record was appended');
    if (subjectId !== this.subjectId)
      throw new UnauditedDecryptionError(subjectId, 'the access receipt is for another customer');
  }

  /** Marks the receipt used; throws if it was already, or does not cover `subjectId`/`names`. */
  spend(subjectId: string, names: Iterable<string>): void {
    this.check(subjectId);
    if (this.spent)
      throw new UnauditedDecryptionError(subjectId, 'the access receipt was already used');
    for (const name of names)
      if (!this.fields.has(name) && !this.fields.has(groupOf(name)))
        throw new UnauditedDecryptionError(subjectId, `field ${name} is not in the access record`);
    this.spent = true;
  }
}

/** A decryption asked for without an access record that covers it: a bug, never a caller's error. */
export class UnauditedDecryptionError extends Error {
  override readonly name = 'UnauditedDecryptionError';
  constructor(subjectId: string, why: string) {
    super(`refused to decrypt subject ${subjectId}'s values: ${why}`);
  }
}

/** An access record that lets values be decrypted: a read (view, DSAR) or an export's row. */
export type DecryptingAccess = FieldsAccessed | SubjectExported;

/**
 * Appends access records to the customer's `access-<id>` stream and hands out the receipt
 * `FieldVault.decrypt` needs. The append comes first: if it fails, there is no receipt, and
 * the caller gets 503 (nothing is returned unaudited).
 */
@Injectable()
export class AccessRecorder {
  constructor(private readonly commands: CommandExecutor) {}

  async record(
    event: DecryptingAccess,
    meta: CommandMeta,
    options?: RecordOptions,
  ): Promise<AccessReceipt> {
    const { subjectId } = event.data;
    try {
      await this.commands.record(accessStream(subjectId), [event], meta, options);
    } catch {
      throw new ServiceUnavailableException(
        'the read could not be audited, so no data is returned; try again',
      );
    }
    return new AccessReceipt(ISSUER, subjectId, shownFields(event.data.fields));
  }

  /**
   * Runs the command that records a download of an export (its rows were recorded customer by
   * customer when it was generated) and, once it is appended, answers the receipt the export's
   * rows open against (`FieldVault.openRows`).
   */
  async recordDownload(exportId: string, append: () => Promise<unknown>): Promise<AccessReceipt> {
    await append();
    return new AccessReceipt(ISSUER, exportSubject(exportId), new Set());
  }
}

/** What a download's receipt is for: the export, not one customer. */
export function exportSubject(exportId: string): string {
  return `export:${exportId}`;
}

/**
 * A value that belongs to a group shown as one field (`insights.<id>` in `insights`): the
 * record names the group, the value's own name binds its ciphertext to it.
 */
function groupOf(name: string): string {
  const dot = name.indexOf('.');
  return dot > 0 ? name.slice(0, dot) : name;
}

function shownFields(fields: ReadonlyArray<{ name: string; mask: FieldMask }>): Set<string> {
  return new Set(fields.filter((f) => f.mask !== 'hidden').map((f) => f.name));
}
