/** What every answer of the API must satisfy, whatever was asked (API.md, Conventions). */

/** Text that only an internal error puts into a body: stack frames, SQL and driver errors, Redis errors. */
export const LEAK_PATTERNS: readonly (readonly [RegExp, string])[] = [
  [/\n\s+at /, 'stack trace'],
  [/\bat (?:async )?[\w$.<>[\] ]*\(?(?:file:\/\/|node:|\/)[^\s)]*:\d+:\d+/, 'stack frame'],
  [/\.(?:ts|js|mjs|cjs):\d+:\d+/, 'source position'],
  [/QueryFailedError|TypeORMError|EntityNotFoundError|EntityPropertyNotFoundError|DriverError/, 'TypeORM error name'],
  [
    /duplicate key value|violates (?:foreign key|unique|check|not-null) constraint|syntax error at or near|relation "[^"]*" does not exist|invalid input syntax for|out of range for type|value too long for type|column "[^"]*" (?:of relation|does not exist)|current transaction is aborted/i,
    'Postgres error text',
  ],
  [/\bSELECT\s|\bINSERT INTO\b|\bUPDATE\s+"?\w+"?\.?"?\w*"?\s+SET\b|\bDELETE FROM\b/, 'SQL text'],
  [
    /\bERR |WRONGTYPE|NOSCRIPT|READONLY You can't|\bMOVED \d+ |CLUSTERDOWN|\bioredis\b|MaxRetriesPerRequestError|Connection is closed|ECONNREFUSED|ETIMEDOUT|EPIPE|ECONNRESET/,
    'Redis or socket error text',
  ],
  [
    /Cannot read properties of|is not a function|is not defined|Maximum call stack|Unexpected token .* in JSON|TypeError|RangeError|ReferenceError|SyntaxError/,
    'JavaScript error text',
  ],
];

/**
 * Strings sent by the fuzzer that match a leak pattern themselves (an SQL-looking product name,
 * say): the API may legitimately echo or store them, so they are cut out of bodies before the
 * check. Kept for the whole run, since a stored name comes back in later answers.
 */
export class Taint {
  private readonly strings = new Set<string>();

  /** Remembers every string in `value` (deeply) that matches a leak pattern. */
  add(value: unknown): void {
    for (const s of stringsIn(value)) {
      if (s.length >= 3 && LEAK_PATTERNS.some(([re]) => re.test(s))) this.strings.add(s);
    }
  }

  /** `text` without the tainted strings (as sent, JSON-escaped, and trimmed). */
  clean(text: string): string {
    let out = text;
    for (const s of this.strings) {
      for (const form of new Set([s, JSON.stringify(s).slice(1, -1), s.trim(), JSON.stringify(s.trim()).slice(1, -1)])) {
        if (form.length >= 3) out = out.split(form).join('');
      }
    }
    return out;
  }
}

export function stringsIn(value: unknown, out: string[] = [], depth = 0): string[] {
  if (depth > 50) return out;
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) stringsIn(v, out, depth + 1);
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      stringsIn(v, out, depth + 1);
    }
  return out;
}

export interface Answer {
  statusCode: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
}

/** The problems of one answer (empty when it keeps the contract). */
export function contractProblems(answer: Answer, taint: Taint): string[] {
  const problems: string[] = [];
  const { statusCode } = answer;
  const requestId = answer.headers['x-request-id'];
  if (statusCode >= 500) problems.push(`status ${statusCode}`);
  if (typeof requestId !== 'string' || requestId.length === 0) problems.push('no X-Request-ID header');
  const cleaned = taint.clean(answer.body);
  for (const [re, what] of LEAK_PATTERNS) {
    const m = re.exec(cleaned);
    if (m) problems.push(`${what} in body: ${JSON.stringify(cleaned.slice(Math.max(0, m.index - 40), m.index + 80))}`);
  }
  if (statusCode >= 400) {
    let body: unknown;
    try {
      body = JSON.parse(answer.body);
    } catch {
      problems.push(`error body is not JSON: ${JSON.stringify(answer.body.slice(0, 120))}`);
      return problems;
    }
    problems.push(...errorShapeProblems(body, statusCode, requestId));
    if ((statusCode === 429 || statusCode === 503) && !answer.headers['retry-after']) problems.push(`${statusCode} without Retry-After`);
  }
  return problems;
}

/** `{ statusCode, error, message, requestId }` and nothing else; 400 names at least one field. */
export function errorShapeProblems(body: unknown, statusCode: number, requestId: unknown): string[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return ['error body is not an object'];
  const b = body as Record<string, unknown>;
  const problems: string[] = [];
  if (b.statusCode !== statusCode) problems.push(`error body statusCode ${String(b.statusCode)} != ${statusCode}`);
  if (typeof b.error !== 'string' || b.error.length === 0) problems.push('error body without error');
  const messageOk =
    (typeof b.message === 'string' && b.message.length > 0) ||
    (Array.isArray(b.message) && b.message.length > 0 && b.message.every((m) => typeof m === 'string' && m.length > 0));
  if (!messageOk) problems.push(`error body message is not a non-empty string or string list: ${JSON.stringify(b.message)}`);
  if (typeof b.requestId !== 'string' || b.requestId !== requestId)
    problems.push(`error body requestId ${JSON.stringify(b.requestId)} != X-Request-ID ${JSON.stringify(requestId)}`);
  const extra = Object.keys(b).filter((k) => !['statusCode', 'error', 'message', 'requestId'].includes(k));
  if (extra.length) problems.push(`error body has extra fields ${extra.join(', ')}`);
  return problems;
}
