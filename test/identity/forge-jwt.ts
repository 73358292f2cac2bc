import { createHmac } from 'node:crypto';

const b64 = (value: object | string): string =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** Builds a JWT by hand (any header, any claims) so tests can present what an attacker would. */
export function forgeJwt(claims: Record<string, unknown>, opts: { secret?: string; alg?: string; signature?: string } = {}): string {
  const alg = opts.alg ?? 'HS256';
  const head = `${b64({ alg, typ: 'JWT' })}.${b64(claims)}`;
  if (opts.signature !== undefined) return `${head}.${opts.signature}`;
  if (alg === 'none') return `${head}.`;
  return `${head}.${createHmac('sha256', opts.secret ?? '')
    .update(head)
    .digest('base64url')}`;
}

/** The claims of a JWT, unverified. */
export function decodeJwt(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as Record<string, unknown>;
}
