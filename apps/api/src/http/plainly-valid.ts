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

/** class-validator's IsInt + Min + Max, as one test. */
export const isIntBetween = (value: unknown, min: number, max: number): boolean =>
  typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
