import { deriveKey } from '@custodian/crypto';
import {
  ActorRegistry,
  CLOCK,
  MASTER_KEY,
  SuspensionRegistry,
  type Clock,
} from '@custodian/platform';
import type { Role } from '@custodian/policy';
import { READ_STORE, type ReadStore } from '@custodian/read-store';
import { Inject, Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { csrfTokenFor, csrfTokenMatches } from '../shared/web-pages';

/** The roles the console admits; any other is refused at sign-in. */
export const CONSOLE_ROLES: readonly Role[] = ['dpo', 'admin', 'dashboard'];
/** How long a console session lasts (minutes): short; signing in again starts another. */
export const CONSOLE_SESSION_MINUTES = 15;

const COLLECTION = 'console_sessions';
const SECRET = /^[A-Za-z0-9_-]{43}$/;

export interface ConsoleSession {
  /** The stored id: SHA-256 of the cookie's secret, so the store holds no usable cookie. */
  sessionId: string;
  actorId: string;
  role: Role;
  expiresAt: string;
}

/** Why a session was not accepted; the page sends the browser to sign in again. */
export class ConsoleSessionError extends Error {
  override readonly name = 'ConsoleSessionError';
  constructor(readonly reason: 'missing' | 'expired' | 'ended') {
    super(`console session ${reason}`);
  }
}

/**
 * Server-side sessions for the compliance console. The cookie holds a random secret; the read
 * store holds its SHA-256 with the actor, role and expiry (no personal value: staff ids only),
 * so signing out deletes the session everywhere the store is shared, and a stolen store gives
 * no cookie. A session also ends when its actor is suspended or loses the role in the actors
 * file. CSRF tokens are an HMAC of the session id under a key derived from the master key.
 */
@Injectable()
export class ConsoleSessions {
  private readonly csrfKey: Buffer;
  private ready: Promise<void> | null = null;

  constructor(
    @Inject(MASTER_KEY) master: Buffer,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(READ_STORE) private readonly reads: ReadStore,
    private readonly registry: ActorRegistry,
    private readonly suspensions: SuspensionRegistry,
  ) {
    this.csrfKey = deriveKey(master, 'console-csrf');
  }

  /** Starts a session; returns the cookie's value and the session. */
  async start(actorId: string, role: Role): Promise<{ secret: string; session: ConsoleSession }> {
    const secret = randomBytes(32).toString('base64url');
    const expiresAt = new Date(
      this.clock.now().getTime() + CONSOLE_SESSION_MINUTES * 60_000,
    ).toISOString();
    const session: ConsoleSession = { sessionId: hashOf(secret), actorId, role, expiresAt };
    await this.write(session.sessionId, { ...session, startedAt: this.clock.now().toISOString() });
    return { secret, session };
  }

  /** The live session a cookie names, or a ConsoleSessionError. */
  async open(secret: string | undefined): Promise<ConsoleSession> {
    if (secret === undefined || secret === '') throw new ConsoleSessionError('missing');
    if (!SECRET.test(secret)) throw new ConsoleSessionError('ended');
    await this.collection();
    const sessionId = hashOf(secret);
    const doc = (await this.reads.get(COLLECTION, sessionId)) as ConsoleSession | null;
    if (!doc) throw new ConsoleSessionError('ended');
    if (doc.expiresAt <= this.clock.now().toISOString()) {
      await this.write(sessionId, null);
      throw new ConsoleSessionError('expired');
    }
    if (
      this.suspensions.check(doc.actorId) ||
      !this.registry.holdersOf(doc.role).includes(doc.actorId)
    ) {
      await this.write(sessionId, null);
      throw new ConsoleSessionError('ended');
    }
    return { sessionId, actorId: doc.actorId, role: doc.role, expiresAt: doc.expiresAt };
  }

  /** Ends a session server-side: its cookie opens nothing any more. */
  async end(session: ConsoleSession): Promise<void> {
    await this.write(session.sessionId, null);
  }

  csrfToken(sessionId: string): string {
    return csrfTokenFor(this.csrfKey, sessionId);
  }

  csrfMatches(sessionId: string, sent: unknown): boolean {
    return csrfTokenMatches(this.csrfKey, sessionId, sent);
  }

  /** The sign-in form's token, bound to a random value in the browser's sign-in cookie. */
  newSignInNonce(): string {
    return randomBytes(32).toString('base64url');
  }

  signInCsrf(nonce: string): string {
    return csrfTokenFor(this.csrfKey, `sign-in:${nonce}`);
  }

  signInCsrfMatches(nonce: string | undefined, sent: unknown): boolean {
    return (
      nonce !== undefined &&
      SECRET.test(nonce) &&
      csrfTokenMatches(this.csrfKey, `sign-in:${nonce}`, sent)
    );
  }

  private async write(
    id: string,
    doc: ConsoleSession | (ConsoleSession & { startedAt: string }) | null,
  ) {
    await this.collection();
    await this.reads.commit({ writes: [{ collection: COLLECTION, id, doc: doc as never }] });
  }

  private collection(): Promise<void> {
    this.ready ??= this.reads.ensureCollection({ name: COLLECTION, indexes: ['actorId'] });
    return this.ready;
  }
}

function hashOf(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}
