export type InfoScalar = string | number;
export type InfoValue = InfoScalar | Record<string, InfoScalar>;
/** `{ server: { redis_version: '7.0.15', uptime_in_seconds: 12 }, keyspace: { db0: { keys: 3, expires: 0, avg_ttl: 0 } } }` */
export type ParsedInfo = Record<string, Record<string, InfoValue>>;

const NUMBER = /^-?\d+(\.\d+)?$/;
// `keys=3,expires=0,avg_ttl=0` (keyspace), `calls=1,usec=2` (commandstats), `ip=...,port=...` (replicas)
const KEY_VALUE_LIST = /^[\w.-]+=[^,]*(,[\w.-]+=[^,]*)*$/;

const scalar = (value: string): InfoScalar => (NUMBER.test(value) ? Number(value) : value);

function value(raw: string): InfoValue {
  if (!KEY_VALUE_LIST.test(raw)) return scalar(raw);
  const out: Record<string, InfoScalar> = {};
  for (const pair of raw.split(',')) {
    const eq = pair.indexOf('=');
    out[pair.slice(0, eq)] = scalar(pair.slice(eq + 1));
  }
  return out;
}

/** A field as text (`redis_version` → `'7.0.15'`); undefined when it is missing or a k=v list. */
export function infoText(value: InfoValue | undefined): string | undefined {
  return value === undefined || typeof value === 'object' ? undefined : String(value);
}

/** Parses INFO output. Section names are lower-cased (`# Keyspace` → `keyspace`). */
export function parseInfo(text: string): ParsedInfo {
  const info: ParsedInfo = {};
  let section: Record<string, InfoValue> = {};
  for (const line of text.split(/\r?\n/)) {
    if (!line) continue;
    if (line.startsWith('#')) {
      section = info[line.slice(1).trim().toLowerCase()] ??= {};
      continue;
    }
    const colon = line.indexOf(':');
    if (colon > 0) section[line.slice(0, colon)] = value(line.slice(colon + 1));
  }
  return info;
}

export type MemoryStatValue = number | string | null | { [key: string]: MemoryStatValue };

/** MEMORY STATS replies with a flat [name, value, ...] list; nested lists (db.0) become objects. */
export function parseFlatPairs(reply: unknown): { [key: string]: MemoryStatValue } {
  const out: { [key: string]: MemoryStatValue } = {};
  const flat = reply as unknown[];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const v = flat[i + 1];
    out[String(flat[i])] = Array.isArray(v)
      ? parseFlatPairs(v)
      : typeof v === 'string' && NUMBER.test(v)
        ? Number(v)
        : (v as MemoryStatValue);
  }
  return out;
}
