import {
  KEY_STORE,
  resolveDurableKey,
  WEBHOOK_SECRETS_PURPOSE,
  type KeyStore,
} from '@custodian/crypto';
import type { SealedSecret } from '@custodian/domain';
import { Inject, Injectable } from '@nestjs/common';
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { MASTER_KEY } from '../vault/vault.module';

/** The sealing key: a durable key, so secrets sealed before a master-key rotation still open. */
export const WEBHOOK_SECRETS_KEY = Symbol.for('custodian.WebhookSecretsKey');

export const webhookSecretsKeyProvider = {
  provide: WEBHOOK_SECRETS_KEY,
  inject: [KEY_STORE, MASTER_KEY],
  useFactory: (keyStore: KeyStore, master: Buffer) =>
    resolveDurableKey(keyStore, master, WEBHOOK_SECRETS_PURPOSE),
};

const SEALED = /^ws1\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{40,})$/;

/**
 * Webhook signing secrets (`whsec_<base64>`, Standard Webhooks), sealed with AES-256-GCM under a
 * key derived from the master key before they reach the log; the connector id and secret id are
 * the associated data, so a sealed secret moved to another connector does not open. A secret
 * is shown once, to whoever registered or rotated it, and never logged.
 */
@Injectable()
export class WebhookSecrets {
  private readonly key: Buffer;

  constructor(@Inject(WEBHOOK_SECRETS_KEY) key: Buffer) {
    this.key = key;
  }

  /** A fresh secret: its clear form (to hand out once) and its sealed form (for the log). */
  issue(connectorId: string, now: Date): { secret: string; sealed: SealedSecret } {
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const secretId = randomUUID();
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(`${connectorId}/${secretId}`));
    const body = Buffer.concat([
      cipher.update(secret, 'utf8'),
      cipher.final(),
      cipher.getAuthTag(),
    ]);
    return {
      secret,
      sealed: {
        secretId,
        sealed: `ws1.${iv.toString('base64url')}.${body.toString('base64url')}`,
        issuedAt: now.toISOString(),
      },
    };
  }

  /** The raw HMAC key of a sealed secret (the bytes after `whsec_`). */
  open(connectorId: string, secret: SealedSecret): Buffer {
    const match = SEALED.exec(secret.sealed);
    if (!match) throw new Error(`webhook secret ${secret.secretId} is not a sealed secret`);
    const body = Buffer.from(match[2], 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(match[1], 'base64url'));
    decipher.setAAD(Buffer.from(`${connectorId}/${secret.secretId}`));
    decipher.setAuthTag(body.subarray(body.length - 16));
    const clear = Buffer.concat([
      decipher.update(body.subarray(0, body.length - 16)),
      decipher.final(),
    ]).toString('utf8');
    return Buffer.from(clear.slice('whsec_'.length), 'base64');
  }
}
