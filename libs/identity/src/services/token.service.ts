import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { LRUCache } from 'lru-cache';
import { createSecretKey } from 'node:crypto';
import { APP_CONFIG, isUuid, type AppConfig } from '@app/common';
import type { AccessClaims } from '../identity.types.js';
import { ROLES, type Role } from '../roles.js';

const CLOCK_TOLERANCE_SECONDS = 5;
const VERIFIED_CACHE_SIZE = 10_000;

/** Short-lived HS256 access tokens. Verification pins the algorithm, issuer, audience and type. */
@Injectable()
export class TokenService {
  private readonly jwt: JwtService;
  // Tokens whose signature and claims were already verified, until they expire: the same string
  // always verifies the same way, so only expiry needs checking again (a tampered token is
  // another string). Saves most of the per-request JWT cost; revocation is checked elsewhere.
  private readonly verified = new LRUCache<string, Readonly<AccessClaims & { exp: number }>>({ max: VERIFIED_CACHE_SIZE });
  readonly accessTtlSeconds: number;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const { secret, issuer, audience, accessTtlSeconds } = config.jwt;
    this.accessTtlSeconds = accessTtlSeconds;
    this.jwt = new JwtService({
      // A KeyObject, not the string: jsonwebtoken otherwise tries to parse the string as a PEM
      // public key on every verify (about 1 ms of CPU per request).
      secret: createSecretKey(Buffer.from(secret, 'utf8')),
      signOptions: { algorithm: 'HS256', issuer, audience, expiresIn: accessTtlSeconds },
      verifyOptions: { algorithms: ['HS256'], issuer, audience, clockTolerance: CLOCK_TOLERANCE_SECONDS },
    });
  }

  signAccess(claims: Omit<AccessClaims, 'typ'>): string {
    return this.jwt.sign({ sub: claims.sub, sid: claims.sid, role: claims.role, typ: 'access' });
  }

  /** The claims of a valid access token (frozen), or null for anything else (never throws). */
  verifyAccess(token: string): Readonly<AccessClaims> | null {
    const known = this.verified.get(token);
    if (known) {
      if (known.exp + CLOCK_TOLERANCE_SECONDS > Date.now() / 1000) return known;
      this.verified.delete(token);
      return null;
    }
    let payload: Record<string, unknown>;
    try {
      payload = this.jwt.verify<Record<string, unknown>>(token);
    } catch {
      return null;
    }
    const { sub, sid, role, typ } = payload;
    if (typ !== 'access' || typeof sub !== 'string' || typeof sid !== 'string' || !isUuid(sub) || !isUuid(sid)) return null;
    if (!ROLES.includes(role as Role) || typeof payload.exp !== 'number') return null;
    const claims = Object.freeze({ sub, sid, role: role as Role, typ, exp: payload.exp });
    this.verified.set(token, claims);
    return claims;
  }
}
