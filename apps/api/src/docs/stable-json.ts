/**
 * JSON with two-space indentation and a trailing newline, object keys in a stable order: the keys of
 * `paths`, `components.*`, `responses`, `properties` and the like sorted, so the committed
 * openapi.json changes only when the API does (never because decorators ran in another order).
 * Arrays keep their order (it carries meaning: enums, `required`, parameters, tags).
 */
export function stableJson(value: unknown): string {
  const sorted = sortKeys(value) as Record<string, unknown>;
  // The top level in the order readers expect, then anything else.
  const top: Record<string, unknown> = {};
  for (const key of TOP_LEVEL) if (key in sorted) top[key] = sorted[key];
  return `${JSON.stringify({ ...top, ...sorted }, null, 2)}\n`;
}

const TOP_LEVEL = ['openapi', 'info', 'servers', 'security', 'tags', 'paths', 'components'];

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
  return out;
}
