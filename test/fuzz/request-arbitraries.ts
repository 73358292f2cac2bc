import fc from 'fast-check';
import type { OpenApiModel, Operation, Parameter, Schema } from './openapi-model.js';

/** Who a request claims to be. `forged:*` tokens are signed with the real secret but name no live session. */
export type AuthChoice =
  | 'none'
  | 'customer'
  | 'admin'
  | 'garbage'
  | 'tampered'
  | 'alg-none'
  | 'forged-unknown-session'
  | 'forged-expired'
  | 'forged-bad-claims'
  | 'basic';

/** A raw body: text sent as is with a content type (invalid JSON, another media type, ...). */
export interface RawBody {
  raw: string;
  contentType: string;
}

export interface FuzzRequest {
  valid: boolean;
  auth: AuthChoice;
  /** For guests on cart routes: send the real guest cart token. */
  cartToken: 'none' | 'real' | 'hostile';
  pathParams: Record<string, string>;
  /** Path params sent without percent-encoding (hostile path shapes). */
  rawPath: boolean;
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  body: { kind: 'none' } | { kind: 'json'; value: unknown } | ({ kind: 'raw' } & RawBody);
  /** Mutations applied to a valid request, for the report. */
  mutations: string[];
  /** Body fields named by body-field mutations (one entry per such mutation). */
  touched: string[];
  /** Undocumented body fields or query parameters added: the answer must not be a 2xx. */
  unknown: string[];
}

/** Real ids and names the valid requests draw from, per parameter or field name (filled at setup, grown by answers). */
export interface Pools {
  /** `path:<op path>:<param>` or `field:<name>` → values. Arrays are read when a value is drawn, so they may grow. */
  get(key: string): readonly string[] | undefined;
}

const UUID_RE = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';

/** Strings that have broken parsers, validators and queries elsewhere. */
export const HOSTILE_STRINGS: readonly string[] = [
  '',
  ' ',
  'a',
  '0',
  '-1',
  '1.5',
  '1e309',
  'NaN',
  'Infinity',
  'null',
  'true',
  '0x1f',
  '00000000-0000-0000-0000-000000000000',
  'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF',
  '6c1f0a52-3f5e-4d8b-9a0e-8f2b1d7c4e2',
  '6c1f0a52-3f5e-4d8b-9a0e-8f2b1d7c4e21x',
  '{6c1f0a52-3f5e-4d8b-9a0e-8f2b1d7c4e21}',
  "' OR '1'='1' --",
  "'; DROP TABLE identity.users; --",
  'SELECT * FROM identity.users',
  '%',
  '%00',
  '%%32%65',
  '../../../../etc/passwd',
  '..%2f..%2f',
  '*',
  'cart:*',
  '[]',
  '{}',
  '${jndi:ldap://127.0.0.1/a}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '__proto__',
  'constructor',
  'prototype',
  'é',
  'ﬀ',
  'İ',
  'ß',
  '\u202e',
  '\u200b',
  '💥',
  '👨‍👩‍👧‍👦'.repeat(20),
  'a'.repeat(256),
  'x'.repeat(5_000),
  'x'.repeat(17_000),
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff',
  '\r\nX-Injected: 1',
  '\\',
  '"',
  '\t',
];

/** JSON values of the wrong shape for almost any field. */
export const HOSTILE_VALUES: readonly unknown[] = [
  null,
  true,
  false,
  0,
  -0,
  -1,
  1.5,
  0.1,
  1e308,
  -1e308,
  2 ** 53 + 2,
  2 ** 31,
  -(2 ** 31) - 1,
  {},
  [],
  [null],
  [1, 2, 3],
  { $gt: '' },
  { toString: 'x' },
  { length: 5 },
  Array.from({ length: 200 }, (_, i) => i),
  nest(40),
  ...HOSTILE_STRINGS,
];

function nest(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

/** Raw bodies that are not a JSON object the route expects. */
export const HOSTILE_RAW_BODIES: readonly RawBody[] = [
  { raw: '', contentType: 'application/json' },
  { raw: '{', contentType: 'application/json' },
  { raw: '{"a":1,}', contentType: 'application/json' },
  { raw: 'null', contentType: 'application/json' },
  { raw: '"text"', contentType: 'application/json' },
  { raw: '12', contentType: 'application/json' },
  { raw: '[]', contentType: 'application/json' },
  { raw: '[{}]', contentType: 'application/json' },
  { raw: '\ufeff{}', contentType: 'application/json' },
  { raw: '{"__proto__":{"isAdmin":true},"constructor":{"prototype":{"x":1}}}', contentType: 'application/json' },
  { raw: '{"a":"\\ud800"}', contentType: 'application/json' },
  { raw: '{"a":"\\u0000"}', contentType: 'application/json' },
  { raw: '{"quantity":1e400,"priceCents":-1e400}', contentType: 'application/json' },
  { raw: '{"quantity":123456789012345678901234567890}', contentType: 'application/json' },
  { raw: '{"email":"a@b.c","email":"x"}', contentType: 'application/json' },
  { raw: '['.repeat(40) + ']'.repeat(40), contentType: 'application/json' },
  { raw: `{${Array.from({ length: 1_100 }, (_, i) => `"k${i}":1`).join(',')}}`, contentType: 'application/json' },
  { raw: `{"name":"${'a'.repeat(70_000)}"}`, contentType: 'application/json' },
  { raw: '{}', contentType: 'text/plain' },
  { raw: 'a=1&b=2', contentType: 'application/x-www-form-urlencoded' },
  { raw: 'quantity=1&productId=x', contentType: 'application/x-www-form-urlencoded' },
  { raw: '<a>1</a>', contentType: 'application/xml' },
  { raw: '{}', contentType: 'application/json; charset=latin1' },
  { raw: '{}', contentType: 'application/json;;;' },
  { raw: '{}', contentType: 'multipart/form-data; boundary=x' },
  { raw: '{}', contentType: '' },
  { raw: '\u0000\u0001\u0002', contentType: 'application/octet-stream' },
];

/** Header values (latin-1 only: anything else cannot be sent in an HTTP header). */
export const HOSTILE_HEADER_VALUES: readonly string[] = HOSTILE_STRINGS.filter(
  (s) => /^[\x20-\x7e\xa0-\xff\t]*$/.test(s) && s.length < 9_000,
).concat(['W/"abc"', '"0"', '*', '"a", W/"b", *', 'x'.repeat(8_000)]);

const PROTO_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'role',
  'id',
  'userId',
  'isAdmin',
  'createdAt',
  '$where',
  '',
  ' ',
  'a.b',
  'password',
];

export class RequestArbitraries {
  constructor(
    private readonly model: OpenApiModel,
    private readonly pools: Pools,
  ) {}

  /** A value the document says is valid for `schema`, drawing known ids for `name` from the pools. */
  valid(schema: Schema, poolKey: string | null, depth = 0): fc.Arbitrary<unknown> {
    const s = this.model.resolve(schema);
    if (s.enum) return fc.constantFrom(...s.enum);
    switch (s.type) {
      case 'string':
        return this.validString(s, poolKey);
      case 'integer':
      case 'number': {
        // Every number of this API is an integer (ids of money and counts); floats are fuzzed as invalid.
        const min = Math.max(s.minimum ?? -1_000_000, -(2 ** 31));
        const max = Math.min(s.maximum ?? 1_000_000, 2 ** 31 - 1);
        return fc.oneof(fc.integer({ min, max }), fc.constantFrom(min, max));
      }
      case 'boolean':
        return fc.boolean();
      case 'array': {
        const itemKey = poolKey;
        return fc.array(this.valid(s.items ?? { type: 'string' }, itemKey, depth + 1), {
          minLength: s.minItems ?? 0,
          maxLength: Math.max(s.minItems ?? 0, Math.min(s.maxItems ?? 4, 4)),
        });
      }
      default: {
        if (!s.properties || depth > 4) return fc.constant({});
        const props: Record<string, fc.Arbitrary<unknown>> = {};
        for (const [name, prop] of Object.entries(s.properties)) {
          const resolved = this.model.resolve(prop);
          const arb = this.valid(prop, `field:${name}`, depth + 1);
          props[name] = resolved.nullable ? fc.oneof({ weight: 4, arbitrary: arb }, { weight: 1, arbitrary: fc.constant(null) }) : arb;
        }
        return fc.record(props, { requiredKeys: s.required ?? [] });
      }
    }
  }

  private validString(s: Schema, poolKey: string | null): fc.Arbitrary<string> {
    const pool = poolKey ? this.pools.get(poolKey) : undefined;
    let base: fc.Arbitrary<string>;
    if (s.format === 'uuid') base = fc.uuid();
    else if (s.format === 'email')
      base = fc.tuple(fc.stringMatching(/^[a-z0-9]{1,16}$/), fc.constantFrom('example.com', 'example.org')).map(([l, d]) => `${l}@${d}`);
    else if (s.format === 'date-time') base = fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
    else if (s.pattern) {
      const max = s.maxLength ?? 64;
      base = fc.stringMatching(new RegExp(s.pattern)).filter((v) => v.length <= max && v.length >= (s.minLength ?? 0));
    } else {
      const minLength = s.minLength ?? 0;
      const maxLength = Math.max(minLength, Math.min(s.maxLength ?? 40, 40));
      base = fc
        .oneof(
          { weight: 3, arbitrary: fc.string({ minLength, maxLength, unit: 'grapheme-ascii' }) },
          { weight: 1, arbitrary: fc.string({ minLength, maxLength, unit: 'grapheme' }) },
          // Valid-typed text that looks like an attack: it must be stored or searched as plain text.
          {
            weight: 1,
            arbitrary: fc
              .constantFrom("' OR '1'='1", 'SELECT * FROM identity.users', '%_\\', '<b>x</b>', 'ﬀİß💥')
              .filter((v) => v.length >= minLength && v.length <= (s.maxLength ?? Infinity)),
          },
        )
        .filter((v) => !v.includes('\u0000'));
    }
    if (!pool || pool.length === 0) return base;
    return fc.oneof(
      {
        weight: 4,
        arbitrary: fc.nat().map((i) => {
          const p = this.pools.get(poolKey!)!;
          return p[i % p.length];
        }),
      },
      { weight: 1, arbitrary: base },
    );
  }

  private poolKeyOf(op: Operation, p: Parameter): string {
    return p.in === 'path' ? `path:${op.path}:${p.name}` : `field:${p.name}`;
  }

  private paramValue(op: Operation, p: Parameter): fc.Arbitrary<string> {
    return this.valid(p.schema, this.poolKeyOf(op, p)).map((v) => String(v));
  }

  /** A request the document says is valid (the server may still refuse it for state: 404, 409, 422). */
  validRequest(op: Operation, authChoices: fc.Arbitrary<AuthChoice>, cartRoute: boolean): fc.Arbitrary<FuzzRequest> {
    const path: Record<string, fc.Arbitrary<string>> = {};
    const query: Record<string, fc.Arbitrary<string>> = {};
    const headers: Record<string, fc.Arbitrary<string>> = {};
    const requiredQuery: string[] = [];
    const requiredHeaders: string[] = [];
    for (const p of op.parameters) {
      if (p.in === 'path') path[p.name] = this.paramValue(op, p);
      else if (p.in === 'query') {
        query[p.name] = this.paramValue(op, p);
        if (p.required) requiredQuery.push(p.name);
      } else if (p.in === 'header' && p.name !== 'x-cart-token' && p.name !== 'authorization') {
        headers[p.name] =
          p.name === 'idempotency-key'
            ? fc.oneof(fc.uuid(), fc.stringMatching(/^[A-Za-z0-9._~-]{1,64}$/))
            : p.name === 'if-none-match'
              ? fc.oneof(fc.constant('"abc"'), fc.constant('*'), fc.constant('W/"x"'))
              : this.paramValue(op, p);
        if (p.required) requiredHeaders.push(p.name);
      }
    }
    const body: fc.Arbitrary<FuzzRequest['body']> = op.body
      ? this.valid(op.body, null).map((value) => ({ kind: 'json' as const, value }))
      : fc.constant({ kind: 'none' as const });
    return fc
      .record({
        auth: authChoices,
        cartToken: cartRoute
          ? fc.constantFrom<FuzzRequest['cartToken']>('none', 'real', 'real')
          : fc.constant<FuzzRequest['cartToken']>('none'),
        pathParams: fc.record(path),
        query: fc.record(query, { requiredKeys: requiredQuery }),
        headers: fc.record(headers, { requiredKeys: requiredHeaders }),
        body,
      })
      .map((r) => ({ ...r, valid: true, rawPath: false, mutations: [] as string[], touched: [] as string[], unknown: [] as string[] }));
  }

  /** A valid request with one to three things broken. */
  invalidRequest(op: Operation, authChoices: fc.Arbitrary<AuthChoice>, cartRoute: boolean): fc.Arbitrary<FuzzRequest> {
    const mutation = this.mutation(op, cartRoute);
    return fc
      .tuple(this.validRequest(op, authChoices, cartRoute), fc.array(mutation, { minLength: 1, maxLength: 3 }))
      .map(([request, mutations]) => {
        let current: FuzzRequest = { ...request, valid: false };
        for (const m of mutations) current = m(current);
        return current;
      });
  }

  private mutation(op: Operation, cartRoute: boolean): fc.Arbitrary<(r: FuzzRequest) => FuzzRequest> {
    const options: { weight: number; arbitrary: fc.Arbitrary<(r: FuzzRequest) => FuzzRequest> }[] = [];
    const hostileString = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
      { weight: 1, arbitrary: fc.string({ maxLength: 30, unit: 'binary' }) },
    );
    const hostileValue = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_VALUES) },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
    );
    const pathParams = op.parameters.filter((p) => p.in === 'path');
    const queryParams = op.parameters.filter((p) => p.in === 'query');
    const headerParams = op.parameters.filter((p) => p.in === 'header' && p.name !== 'x-cart-token');
    const label = (m: string, f: (r: FuzzRequest) => FuzzRequest) => (r: FuzzRequest) => {
      const next = f(r);
      return { ...next, mutations: [...next.mutations, m] };
    };
    const fieldLabel = (field: string, m: string, f: (r: FuzzRequest) => FuzzRequest) => (r: FuzzRequest) => {
      const next = label(m, f)(r);
      return { ...next, touched: [...next.touched, field] };
    };

    if (pathParams.length) {
      options.push({
        weight: 4,
        arbitrary: fc.tuple(fc.constantFrom(...pathParams), hostileString, fc.boolean()).map(([p, v, raw]) =>
          label(`path ${p.name}=${JSON.stringify(v).slice(0, 60)}${raw ? ' (raw)' : ''}`, (r) => ({
            ...r,
            rawPath: r.rawPath || raw,
            pathParams: { ...r.pathParams, [p.name]: v },
          })),
        ),
      });
    }
    options.push({
      weight: queryParams.length ? 3 : 1,
      arbitrary: fc
        .tuple(
          queryParams.length
            ? fc.constantFrom(...queryParams.map((p) => p.name), 'unknownParam', '__proto__', 'constructor', 'toString')
            : fc.constantFrom('unknownParam', '__proto__', 'constructor', 'page'),
          fc.oneof(
            hostileString.map((v) => [v]),
            fc.array(fc.constantFrom('1', '2', 'x'), { minLength: 2, maxLength: 3 }),
          ),
        )
        .map(([name, values]) =>
          label(`query ${name}=${JSON.stringify(values).slice(0, 60)}`, (r) => ({
            ...r,
            // Only routes with a query DTO refuse unknown parameters; the others ignore the query string.
            unknown: queryParams.length === 0 || queryParams.some((p) => p.name === name) ? r.unknown : [...r.unknown, `?${name}`],
            query: withKey(r.query, name, values.length === 1 ? values[0] : values) as FuzzRequest['query'],
          })),
        ),
    });
    if (headerParams.length) {
      options.push({
        weight: 2,
        arbitrary: fc
          .tuple(fc.constantFrom(...headerParams), fc.oneof(fc.constantFrom(...HOSTILE_HEADER_VALUES), fc.constant(null)))
          .map(([p, v]) =>
            label(`header ${p.name}=${v === null ? '(absent)' : JSON.stringify(v).slice(0, 60)}`, (r) => {
              const headers = { ...r.headers };
              if (v === null) delete headers[p.name];
              else headers[p.name] = v;
              return { ...r, headers };
            }),
          ),
      });
    }
    options.push({
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.constantFrom(
            'x-request-id',
            'accept',
            'x-forwarded-for',
            'content-length-ish',
            'if-none-match',
            'idempotency-key',
            'x-cart-token',
          ),
          fc.constantFrom(...HOSTILE_HEADER_VALUES),
        )
        .map(([name, v]) =>
          label(`header ${name}=${JSON.stringify(v).slice(0, 60)}`, (r) =>
            name === 'x-cart-token'
              ? { ...r, cartToken: 'hostile' as const, headers: { ...r.headers, [name]: v } }
              : { ...r, headers: { ...r.headers, [name]: v } },
          ),
        ),
    });
    options.push({
      weight: op.secured || cartRoute ? 3 : 1,
      arbitrary: fc
        .constantFrom<AuthChoice>(
          'none',
          'garbage',
          'tampered',
          'alg-none',
          'forged-unknown-session',
          'forged-expired',
          'forged-bad-claims',
          'basic',
          'customer',
        )
        .map((auth) => label(`auth ${auth}`, (r) => ({ ...r, auth }))),
    });
    if (cartRoute) {
      options.push({
        weight: 2,
        arbitrary: fc.constantFrom(...HOSTILE_HEADER_VALUES).map((v) =>
          label(`x-cart-token=${JSON.stringify(v).slice(0, 60)}`, (r) => ({
            ...r,
            auth: 'none' as const,
            cartToken: 'hostile' as const,
            headers: { ...r.headers, 'x-cart-token': v },
          })),
        ),
      });
    }
    if (op.body) {
      const schema = this.model.resolve(op.body);
      const props = Object.keys(schema.properties ?? {});
      options.push({
        weight: 2,
        arbitrary: fc.constantFrom(...HOSTILE_RAW_BODIES).map((b) =>
          label(`raw body ${JSON.stringify(b.raw).slice(0, 40)} as ${b.contentType || '(none)'}`, (r) => ({
            ...r,
            unknown: queryOnly(r.unknown),
            body: { kind: 'raw' as const, ...b },
          })),
        ),
      });
      options.push({
        weight: 1,
        arbitrary: hostileValue.map((v) =>
          label(`body=${JSON.stringify(v)?.slice(0, 60)}`, (r) => ({
            ...r,
            unknown: queryOnly(r.unknown),
            body: { kind: 'json' as const, value: v },
          })),
        ),
      });
      options.push({
        weight: 2,
        arbitrary: fc.tuple(fc.constantFrom(...PROTO_KEYS), hostileValue).map(([k, v]) =>
          fieldLabel(k, `extra field ${k}`, (r) => ({
            ...r,
            unknown: props.includes(k) ? r.unknown : [...r.unknown, k],
            body: { kind: 'json' as const, value: withKey(asObject(r.body), k, v) },
          })),
        ),
      });
      if (props.length) {
        options.push({
          weight: 5,
          arbitrary: fc.tuple(fc.constantFrom(...props), hostileValue).map(([k, v]) =>
            fieldLabel(k, `field ${k}=${JSON.stringify(v)?.slice(0, 60)}`, (r) => ({
              ...r,
              body: { kind: 'json' as const, value: { ...asObject(r.body), [k]: v } },
            })),
          ),
        });
        options.push({
          weight: 1,
          arbitrary: fc.constantFrom(...props).map((k) =>
            fieldLabel(k, `drop field ${k}`, (r) => {
              const value = { ...asObject(r.body) };
              delete value[k];
              return { ...r, body: { kind: 'json' as const, value } };
            }),
          ),
        });
        // Nested: a hostile value inside the first element of each array field.
        const arrays = props.filter((k) => this.model.resolve(schema.properties![k]).type === 'array');
        if (arrays.length) {
          options.push({
            weight: 3,
            arbitrary: fc
              .tuple(fc.constantFrom(...arrays), fc.constantFrom('productId', 'quantity', 'stock', 'delta', 'extra'), hostileValue)
              .map(([k, field, v]) =>
                fieldLabel(k, `${k}[0].${field}=${JSON.stringify(v)?.slice(0, 60)}`, (r) => {
                  const value = { ...asObject(r.body) };
                  const list = Array.isArray(value[k]) ? [...(value[k] as unknown[])] : [];
                  list[0] = { ...(typeof list[0] === 'object' && list[0] !== null ? list[0] : {}), [field]: v };
                  value[k] = list;
                  return { ...r, body: { kind: 'json' as const, value } };
                }),
              ),
          });
        }
      }
    } else if (op.method !== 'GET') {
      options.push({
        weight: 1,
        arbitrary: fc
          .constantFrom(...HOSTILE_RAW_BODIES.slice(0, 12))
          .map((b) =>
            label(`unexpected body ${JSON.stringify(b.raw).slice(0, 40)}`, (r) => ({ ...r, body: { kind: 'raw' as const, ...b } })),
          ),
      });
    }
    return fc.oneof(...options);
  }
}

/** A copy of `object` with `key` set as an own property (`__proto__` included, as JSON.parse would). */
function withKey(object: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  const copy = { ...object };
  Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
  return copy;
}

/** The unknown parts of a request that survive replacing its body: the query parameters. */
const queryOnly = (unknown: string[]) => unknown.filter((u) => u.startsWith('?'));

function asObject(body: FuzzRequest['body']): Record<string, unknown> {
  return body.kind === 'json' && typeof body.value === 'object' && body.value !== null && !Array.isArray(body.value)
    ? (body.value as Record<string, unknown>)
    : {};
}

export const UUID_PATTERN = new RegExp(UUID_RE, 'i');
