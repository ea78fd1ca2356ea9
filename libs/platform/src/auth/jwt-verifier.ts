import { isRole, type Role } from '@custodian/policy';
import { readFileSync } from 'node:fs';
import {
  createRemoteJWKSet,
  errors,
  importSPKI,
  jwtVerify,
  type JWTVerifyGetKey,
  type KeyLike,
} from 'jose';

export interface JwtSettings {
  issuer: string;
  audience: string;
  /** Claim holding the person's roles (an array of role names). */
  rolesClaim: string;
  /** The longest lifetime a token may have (`exp - iat`, or `exp - now` without `iat`), in seconds. */
  maxLifetimeSeconds: number;
  /** Where the signing keys come from: a JWKS URL, or one public key (PEM, SPKI). */
  jwksUrl?: string;
  publicKeyFile?: string;
}

export interface JwtActor {
  id: string;
  roles: Role[];
}

/** The token is not acceptable; says why in general terms, never echoing the token. */
export class InvalidTokenError extends Error {
  override readonly name = 'InvalidTokenError';
}

const ALGORITHMS = ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'];
/** Actor ids land in every event's metadata, so an email-like one is refused (no "@"). */
export const ACTOR_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** A JWT, as opposed to an API key: three base64url parts whose header names an algorithm. */
export function looksLikeJwt(token: string): boolean {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]+$/.test(p))) return false;
  try {
    return typeof JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')).alg === 'string';
  } catch {
    return false;
  }
}

// Leeway between the issuer's clock and ours, in seconds.
const CLOCK_TOLERANCE_S = 5;

/**
 * Verifies people's bearer tokens with jose: signature (from the JWKS or the configured key),
 * issuer, audience, expiry and not-before; a token must carry `exp`, and may not live longer
 * than the configured maximum. `sub` names the person, the roles claim their roles (the guard
 * then holds both against the person's entry in the actors file).
 */
export class JwtVerifier {
  private constructor(
    private readonly settings: JwtSettings,
    private readonly key: KeyLike | JWTVerifyGetKey,
  ) {}

  /** Loads the configured key at start-up, so a bad key file stops the app with a clear error. */
  static async create(settings: JwtSettings): Promise<JwtVerifier> {
    if (settings.jwksUrl)
      return new JwtVerifier(settings, createRemoteJWKSet(new URL(settings.jwksUrl)));
    if (settings.publicKeyFile)
      return new JwtVerifier(settings, await loadPublicKey(settings.publicKeyFile));
    throw new Error('JWT verification needs a JWKS URL or a public key file');
  }

  async verify(token: string): Promise<JwtActor> {
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, this.key as KeyLike, {
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        algorithms: ALGORITHMS,
        clockTolerance: CLOCK_TOLERANCE_S,
      }));
    } catch (error) {
      if (error instanceof errors.JWTExpired)
        throw new InvalidTokenError('the bearer token has expired');
      throw new InvalidTokenError('the bearer token is not valid');
    }
    this.checkLifetime(payload);
    const id = payload.sub;
    if (typeof id !== 'string' || !ACTOR_ID_PATTERN.test(id))
      throw new InvalidTokenError(
        'the bearer token\'s subject must be an opaque id (letters, digits, ".", "_", ":", "-"), never an email',
      );
    const claimed = payload[this.settings.rolesClaim];
    const roles = Array.isArray(claimed) ? [...new Set(claimed.filter(isRole))] : [];
    return { id, roles };
  }

  /** A token without `exp` would never expire; one that lives too long is as bad. */
  private checkLifetime(payload: Record<string, unknown>): void {
    const { exp, iat } = payload;
    if (typeof exp !== 'number' || !Number.isFinite(exp))
      throw new InvalidTokenError(
        'the bearer token has no expiry (exp claim): tokens without one are refused',
      );
    const max = this.settings.maxLifetimeSeconds;
    const hours = `${max / 3600} hour(s) (CUSTODIAN_JWT_MAX_LIFETIME_HOURS)`;
    if (typeof iat === 'number' && Number.isFinite(iat)) {
      if (exp - iat > max)
        throw new InvalidTokenError(`the bearer token's lifetime (exp - iat) exceeds ${hours}`);
    } else if (exp - Date.now() / 1000 > max + CLOCK_TOLERANCE_S) {
      throw new InvalidTokenError(`the bearer token expires more than ${hours} from now`);
    }
  }
}

async function loadPublicKey(file: string): Promise<KeyLike> {
  const pem = readFileSync(file, 'utf8');
  const errorsSeen: string[] = [];
  // The PEM does not say its algorithm; try the ones we accept until one imports.
  for (const alg of ALGORITHMS) {
    try {
      return await importSPKI(pem, alg);
    } catch (error) {
      errorsSeen.push((error as Error).message);
    }
  }
  throw new Error(`${file}: not a public key jose can use (${errorsSeen[0] ?? 'unknown format'})`);
}
