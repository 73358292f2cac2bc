import type { BatchCommand, RedisArg } from './batch-command.js';

export interface SetOptions {
  /** Expiry in ms (SET ... PX). */
  px?: number;
  /** Only set if missing (SET ... NX). */
  nx?: boolean;
  /** Only set if present (SET ... XX). */
  xx?: boolean;
}

export interface ScoredMember {
  member: string;
  score: number;
}

const cmd = <T>(name: string, args: RedisArg[], parse: (reply: unknown) => T): BatchCommand<T> => ({ name, args, parse });

const asNumber = (reply: unknown): number => Number(reply);
const asBoolean = (reply: unknown): boolean => Number(reply) === 1;
function asNullableString(reply: unknown): string | null {
  if (reply === null || reply === undefined) return null;
  const value = reply as RedisArg; // a bulk string (a Buffer from the *Buffer commands) or an integer reply
  return String(value);
}
const asStrings = (reply: unknown): string[] => (reply as unknown[]).map(String);

/** ioredis turns HGETALL into an object itself; a generic call may still deliver the flat array. */
function asHash(reply: unknown): Record<string, string> {
  if (!Array.isArray(reply)) return { ...(reply as Record<string, string>) };
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = String(reply[i + 1]);
  return out;
}

function asScored(reply: unknown): ScoredMember[] {
  const flat = reply as unknown[];
  const out: ScoredMember[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push({ member: String(flat[i]), score: Number(flat[i + 1]) });
  return out;
}

/**
 * Builds typed commands for RedisBatch. Each method returns a command whose reply is parsed into
 * the type shown, so `pipeline(b => [b.get(k), b.incr(n)])` yields `[string | null, number]`.
 */
export class BatchBuilder {
  get(key: string) {
    return cmd('get', [key], asNullableString);
  }

  /** true when written; false when NX/XX prevented the write. */
  set(key: string, value: RedisArg, opts: SetOptions = {}) {
    const args: RedisArg[] = [key, value];
    if (opts.px !== undefined) args.push('PX', Math.ceil(opts.px));
    if (opts.nx) args.push('NX');
    if (opts.xx) args.push('XX');
    return cmd('set', args, (reply) => reply === 'OK');
  }

  del(...keys: string[]) {
    return cmd('del', keys, asNumber);
  }

  unlink(...keys: string[]) {
    return cmd('unlink', keys, asNumber);
  }

  exists(...keys: string[]) {
    return cmd('exists', keys, asNumber);
  }

  mget(...keys: string[]) {
    return cmd('mget', keys, (reply) => (reply as unknown[]).map(asNullableString));
  }

  incr(key: string) {
    return cmd('incr', [key], asNumber);
  }

  incrby(key: string, by: number) {
    return cmd('incrby', [key, by], asNumber);
  }

  decrby(key: string, by: number) {
    return cmd('decrby', [key, by], asNumber);
  }

  /** true when the key exists and got the expiry. */
  expire(key: string, seconds: number) {
    return cmd('expire', [key, seconds], asBoolean);
  }

  pexpire(key: string, ms: number) {
    return cmd('pexpire', [key, ms], asBoolean);
  }

  hget(key: string, field: string) {
    return cmd('hget', [key, field], asNullableString);
  }

  /** Number of fields added (not updated). */
  hset(key: string, fields: Record<string, RedisArg>): BatchCommand<number>;
  hset(key: string, field: string, value: RedisArg): BatchCommand<number>;
  hset(key: string, fieldOrFields: string | Record<string, RedisArg>, value?: RedisArg): BatchCommand<number> {
    const pairs = typeof fieldOrFields === 'string' ? [fieldOrFields, value as RedisArg] : Object.entries(fieldOrFields).flat();
    return cmd('hset', [key, ...pairs], asNumber);
  }

  hdel(key: string, ...fields: string[]) {
    return cmd('hdel', [key, ...fields], asNumber);
  }

  hgetall(key: string) {
    return cmd('hgetall', [key], asHash);
  }

  hincrby(key: string, field: string, by: number) {
    return cmd('hincrby', [key, field, by], asNumber);
  }

  sadd(key: string, ...members: RedisArg[]) {
    return cmd('sadd', [key, ...members], asNumber);
  }

  srem(key: string, ...members: RedisArg[]) {
    return cmd('srem', [key, ...members], asNumber);
  }

  smembers(key: string) {
    return cmd('smembers', [key], asStrings);
  }

  /** Number of members added. */
  zadd(key: string, ...entries: ScoredMember[]) {
    return cmd('zadd', [key, ...entries.flatMap((e) => [e.score, e.member])], asNumber);
  }

  /** The member's new score. */
  zincrby(key: string, by: number, member: string) {
    return cmd('zincrby', [key, by, member], asNumber);
  }

  /** Highest scores first, ranks start..stop inclusive. */
  zrevrange(key: string, start: number, stop: number, opts: { withScores: true }): BatchCommand<ScoredMember[]>;
  zrevrange(key: string, start: number, stop: number, opts?: { withScores?: false }): BatchCommand<string[]>;
  zrevrange(key: string, start: number, stop: number, opts: { withScores?: boolean } = {}): BatchCommand<ScoredMember[] | string[]> {
    return opts.withScores ? cmd('zrevrange', [key, start, stop, 'WITHSCORES'], asScored) : cmd('zrevrange', [key, start, stop], asStrings);
  }

  /** Any other command; the reply is passed through as ioredis delivers it. */
  call<T = unknown>(command: string, ...args: RedisArg[]): BatchCommand<T> {
    return cmd(command, args, (reply) => reply as T);
  }
}
