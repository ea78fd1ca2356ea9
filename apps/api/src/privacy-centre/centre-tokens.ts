import { deriveKey } from '@custodian/crypto';
import { CLOCK, isUuid, MASTER_KEY, type Clock } from '@custodian/platform';
import { Inject, Injectable } from '@nestjs/common';
import { errors, jwtVerify, SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import { csrfTokenFor, csrfTokenMatches } from '../shared/web-pages';

/** The languages the centre speaks; the first is the default. */
export const CENTRE_LANGUAGES = ['ru', 'en'] as const;
export type CentreLanguage = (typeof CENTRE_LANGUAGES)[number];

/** Whose law a case opened from the centre runs on (the deadlines table's rows). */
export const CENTRE_JURISDICTIONS = ['ru', 'eu'] as const;
export type CentreJurisdiction = (typeof CENTRE_JURISDICTIONS)[number];

/** How long a link stays valid by default, and at most (minutes). */
export const LINK_TTL_MINUTES = { default: 60 * 24, min: 5, max: 60 * 24 * 7 };
/** How long a session started from a link lasts (minutes): short, a link starts another. */
export const SESSION_TTL_MINUTES = 30;

const LINK_AUDIENCE = 'custodian/privacy-link';
const SESSION_AUDIENCE = 'custodian/privacy-session';

/** What a signed link or session says: whose centre, and nothing personal. */
export interface CentreClaims {
  subjectId: string;
  /** The link's id (a session keeps the id of the link that started it). */
  linkId: string;
  /** The language the issuer chose; null: the browser's (Accept-Language). */
  language: CentreLanguage | null;
  jurisdiction: CentreJurisdiction;
  expiresAt: Date;
}

export interface CentreSession extends CentreClaims {
  sessionId: string;
}

/** Why a link or session was not accepted: `expired`, or anything else (`invalid`). */
export class CentreTokenError extends Error {
  override readonly name = 'CentreTokenError';
  constructor(readonly reason: 'expired' | 'invalid') {
    super(reason === 'expired' ? 'the link has expired' : 'the link is not valid');
  }
}

/**
 * Signed links and sessions for the privacy centre: compact JWS (HS256, `jose`) under keys
 * derived from the master key, one per use, so a link can never pass as a session or the
 * reverse. A token holds the subject id (opaque), the link id, the language, the jurisdiction
 * and its expiry: no personal value. CSRF tokens are an HMAC of the session id.
 */
@Injectable()
export class CentreTokens {
  private readonly linkKey: Uint8Array;
  private readonly sessionKey: Uint8Array;
  private readonly csrfKey: Buffer;

  constructor(
    @Inject(MASTER_KEY) master: Buffer,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.linkKey = new Uint8Array(deriveKey(master, 'privacy-centre-link'));
    this.sessionKey = new Uint8Array(deriveKey(master, 'privacy-centre-session'));
    this.csrfKey = deriveKey(master, 'privacy-centre-csrf');
  }

  async issueLink(
    subjectId: string,
    options: {
      language: CentreLanguage | null;
      jurisdiction: CentreJurisdiction;
      ttlMinutes: number;
    },
  ): Promise<{ token: string; linkId: string; expiresAt: Date }> {
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + options.ttlMinutes * 60_000);
    const linkId = randomUUID();
    const token = await this.sign(
      this.linkKey,
      LINK_AUDIENCE,
      { ...(options.language ? { lang: options.language } : {}), jur: options.jurisdiction },
      subjectId,
      linkId,
      now,
      expiresAt,
    );
    return { token, linkId, expiresAt };
  }

  /** The claims of a link this app signed and that has not expired, or a CentreTokenError. */
  async openLink(token: string): Promise<CentreClaims> {
    const claims = await this.verify(this.linkKey, LINK_AUDIENCE, token);
    return { ...claims, linkId: claims.id };
  }

  /** A session cookie's value for a link just opened: shorter of its own limit and the link's. */
  async startSession(link: CentreClaims): Promise<{ cookie: string; session: CentreSession }> {
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + SESSION_TTL_MINUTES * 60_000);
    const sessionId = randomUUID();
    const cookie = await this.sign(
      this.sessionKey,
      SESSION_AUDIENCE,
      {
        ...(link.language ? { lang: link.language } : {}),
        jur: link.jurisdiction,
        lnk: link.linkId,
      },
      link.subjectId,
      sessionId,
      now,
      expiresAt,
    );
    return { cookie, session: { ...link, sessionId, expiresAt } };
  }

  async session(cookie: string): Promise<CentreSession> {
    const claims = await this.verify(this.sessionKey, SESSION_AUDIENCE, cookie);
    if (typeof claims.payload.lnk !== 'string' || !isUuid(claims.payload.lnk))
      throw new CentreTokenError('invalid');
    return { ...claims, sessionId: claims.id, linkId: claims.payload.lnk };
  }

  /** The session's CSRF token: a form must send it back (it is not in the cookie). */
  csrfToken(session: Pick<CentreSession, 'sessionId'>): string {
    return csrfTokenFor(this.csrfKey, session.sessionId);
  }

  csrfMatches(session: Pick<CentreSession, 'sessionId'>, sent: unknown): boolean {
    return csrfTokenMatches(this.csrfKey, session.sessionId, sent);
  }

  private sign(
    key: Uint8Array,
    audience: string,
    claims: Record<string, string>,
    subjectId: string,
    id: string,
    now: Date,
    expiresAt: Date,
  ): Promise<string> {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(subjectId)
      .setJti(id)
      .setAudience(audience)
      .setIssuedAt(Math.floor(now.getTime() / 1000))
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .sign(key);
  }

  private async verify(key: Uint8Array, audience: string, token: string) {
    if (typeof token !== 'string' || token.length > 2048 || !/^[\w-]+\.[\w-]+\.[\w-]+$/.test(token))
      throw new CentreTokenError('invalid');
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, key, {
        algorithms: ['HS256'],
        audience,
        currentDate: this.clock.now(),
        requiredClaims: ['sub', 'jti', 'exp'],
      }));
    } catch (error) {
      throw new CentreTokenError(error instanceof errors.JWTExpired ? 'expired' : 'invalid');
    }
    const { sub, jti, exp, lang, jur } = payload;
    if (
      !isUuid(sub) ||
      !isUuid(jti) ||
      typeof exp !== 'number' ||
      (lang !== undefined && !(CENTRE_LANGUAGES as readonly unknown[]).includes(lang)) ||
      !(CENTRE_JURISDICTIONS as readonly unknown[]).includes(jur)
    )
      throw new CentreTokenError('invalid');
    return {
      subjectId: sub.toLowerCase(),
      id: jti,
      language: (lang as CentreLanguage | undefined) ?? null,
      jurisdiction: jur as CentreJurisdiction,
      expiresAt: new Date(exp * 1000),
      payload,
    };
  }
}
