/** A test of a body's own fields (the field set is checked before it is called). */
export type PlainBodyTest = (body: Readonly<Record<string, unknown>>) => boolean;

interface PlainBodyRule {
  fields: ReadonlySet<string>;
  test: PlainBodyTest;
}

const RULES = new WeakMap<object, PlainBodyRule>();

/**
 * Marks a body DTO whose valid bodies can be recognized cheaply: a plain JSON object with exactly
 * `fields`, passing `test`. The global validation pipe asks this first and builds the DTO from such
 * a body without class-transformer and class-validator (on a small write they cost more than the
 * write's own logic); any other body goes through the full validation, so every 400 and its
 * messages stay class-validator's. `test` must accept nothing the DTO's decorators refuse (each
 * marked DTO's spec compares both paths).
 */
export function PlainlyValidWhen(fields: readonly string[], test: PlainBodyTest): ClassDecorator {
  return (target) => {
    RULES.set(target, { fields: new Set(fields), test });
  };
}

/** A new `metatype` holding the body's fields when the body is plainly valid for it; otherwise undefined. */
export function plainlyValid(metatype: unknown, body: unknown): object | undefined {
  const rule = typeof metatype === 'function' ? RULES.get(metatype) : undefined;
  if (rule === undefined || typeof body !== 'object' || body === null || Object.getPrototypeOf(body) !== Object.prototype) return undefined;
  const keys = Object.keys(body);
  if (keys.length !== rule.fields.size || !keys.every((k) => rule.fields.has(k))) return undefined;
  if (!rule.test(body as Record<string, unknown>)) return undefined;
  return Object.assign(new (metatype as new () => object)(), body);
}

/** The DTO's fields from a query's raw strings, or undefined when the query is not plainly valid. */
export type PlainQueryParse = (query: Readonly<Record<string, unknown>>) => Record<string, unknown> | undefined;

interface PlainQueryRule {
  fields: ReadonlySet<string>;
  parse: PlainQueryParse;
}

const QUERY_RULES = new WeakMap<object, PlainQueryRule>();

/**
 * PlainlyValidWhen for query DTOs, whose fields are all optional strings on the wire: a query made
 * of some of `fields` (each once) that `parse` accepts becomes the DTO holding what `parse` returns
 * (the fields converted as class-transformer would). A query string asked once (a search, a price
 * filter) gains nothing from the pipe's memo, and class-transformer + class-validator cost more than
 * the rest of such a request's own code. `parse` must accept nothing the decorators refuse and
 * convert exactly like them (each marked DTO's spec compares both paths).
 */
export function PlainlyValidQueryWhen(fields: readonly string[], parse: PlainQueryParse): ClassDecorator {
  return (target) => {
    QUERY_RULES.set(target, { fields: new Set(fields), parse });
  };
}

/** A new `metatype` holding the parsed fields when the query is plainly valid for it; otherwise undefined. */
export function plainlyValidQuery(metatype: unknown, query: unknown): object | undefined {
  const rule = typeof metatype === 'function' ? QUERY_RULES.get(metatype) : undefined;
  if (rule === undefined || typeof query !== 'object' || query === null) return undefined;
  if (!plainRecord(query)) return undefined;
  for (const k of Object.keys(query)) if (!rule.fields.has(k)) return undefined;
  const fields = rule.parse(query as Record<string, unknown>);
  return fields === undefined ? undefined : Object.assign(new (metatype as new () => object)(), fields);
}

/**
 * An object of own string keys only: a literal, an Object.create(null), or what Fastify's query
 * parser (fast-querystring) builds, whose prototype is an empty object without a prototype.
 */
function plainRecord(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as object | null;
  if (proto === null || proto === Object.prototype) return true;
  return Object.getPrototypeOf(proto) === null && Reflect.ownKeys(proto).length === 0;
}

/** A query parameter holding a canonical decimal integer in [min, max] (no sign, no leading zero, no blanks); else undefined. */
export function plainIntParam(value: unknown, min: number, max: number): number | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > 10) return undefined;
  if (value.length > 1 && value.charCodeAt(0) === 48) return undefined;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  const n = Number(value);
  return n >= min && n <= max ? n : undefined;
}

/** class-validator's IsInt + Min + Max, as one test. */
export const isIntBetween = (value: unknown, min: number, max: number): boolean =>
  typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
