/**
 * The slice of an OpenAPI 3 document the fuzzer reads: operations with their parameters, JSON
 * request bodies and JSON response schemas, with `$ref`s resolved against `components.schemas`.
 */

export interface Schema {
  $ref?: string;
  type?: 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array';
  format?: string;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  properties?: Record<string, Schema>;
  required?: string[];
  nullable?: boolean;
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  additionalProperties?: boolean | Schema;
  default?: unknown;
}

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required: boolean;
  schema: Schema;
}

export interface Operation {
  /** `GET /api/v1/products/{id}` */
  key: string;
  method: string;
  path: string;
  secured: boolean;
  parameters: Parameter[];
  body: Schema | null;
  bodyRequired: boolean;
  /** Documented statuses, and the JSON schema of those that have one. */
  responses: Map<number, Schema | null>;
}

interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, RawOperation>>;
  components?: { schemas?: Record<string, Schema> };
  security?: unknown[];
}

interface RawOperation {
  parameters?: { name: string; in: Parameter['in']; required?: boolean; schema?: Schema }[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, { content?: Record<string, { schema?: Schema }> }>;
  security?: unknown[];
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

export class OpenApiModel {
  readonly operations: Operation[];

  constructor(readonly document: OpenApiDocument) {
    this.operations = [];
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, raw] of Object.entries(item)) {
        if (!METHODS.includes(method)) continue;
        // Header names are case-insensitive: one parameter per (in, lower-cased name); a later
        // declaration that is optional wins over an earlier required one only if none is required.
        const params = new Map<string, Parameter>();
        for (const p of raw.parameters ?? []) {
          const id = `${p.in}:${p.in === 'header' ? p.name.toLowerCase() : p.name}`;
          const known = params.get(id);
          const parameter: Parameter = {
            name: p.in === 'header' ? p.name.toLowerCase() : p.name,
            in: p.in,
            required: Boolean(p.required) || p.in === 'path',
            schema: p.schema ?? { type: 'string' },
          };
          params.set(id, known ? { ...parameter, required: known.required || parameter.required } : parameter);
        }
        const json = raw.requestBody?.content?.['application/json'];
        const responses = new Map<number, Schema | null>();
        for (const [status, response] of Object.entries(raw.responses ?? {})) {
          responses.set(Number(status), response.content?.['application/json']?.schema ?? null);
        }
        this.operations.push({
          key: `${method.toUpperCase()} ${path}`,
          method: method.toUpperCase(),
          path,
          secured: (raw.security ?? document.security ?? []).length > 0,
          parameters: [...params.values()],
          body: json?.schema ?? null,
          bodyRequired: Boolean(raw.requestBody?.required),
          responses,
        });
      }
    }
  }

  /** The schema with `$ref` and single-element `allOf` resolved (nullable kept). */
  resolve(schema: Schema): Schema {
    let current = schema;
    for (let depth = 0; depth < 16; depth++) {
      if (current.$ref) {
        const name = current.$ref.replace('#/components/schemas/', '');
        const target = this.document.components?.schemas?.[name];
        if (!target) throw new Error(`unresolved $ref ${current.$ref}`);
        const { $ref: _ref, ...rest } = current;
        current = { ...target, ...rest };
        continue;
      }
      if (current.allOf?.length === 1) {
        const { allOf, ...rest } = current;
        current = { ...rest, ...this.resolve(allOf[0]), nullable: rest.nullable };
        continue;
      }
      return current;
    }
    throw new Error('$ref chain too deep');
  }

  /**
   * Where `value` departs from `schema` (an empty list when it conforms). Formats uuid and
   * date-time are checked; integers documented as `number` are fine, floats documented as
   * `integer` are not.
   */
  conformance(value: unknown, schema: Schema, path = '$'): string[] {
    const s = this.resolve(schema);
    if (value === null) return s.nullable ? [] : [`${path}: null but not nullable`];
    if (s.oneOf || s.anyOf) {
      const options = (s.oneOf ?? s.anyOf)!;
      return options.some((o) => this.conformance(value, o, path).length === 0)
        ? []
        : [`${path}: matches none of ${options.length} alternatives`];
    }
    if (s.enum && !s.enum.includes(value)) return [`${path}: ${JSON.stringify(value)} not in enum`];
    switch (s.type) {
      case 'string':
        if (typeof value !== 'string') return [`${path}: expected string, got ${typeof value}`];
        if (s.format === 'uuid' && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value))
          return [`${path}: not a uuid`];
        if (s.format === 'date-time' && Number.isNaN(Date.parse(value))) return [`${path}: not a date-time`];
        return [];
      case 'number':
      case 'integer': {
        if (typeof value !== 'number' || !Number.isFinite(value)) return [`${path}: expected ${s.type}, got ${typeof value}`];
        const problems: string[] = [];
        if (s.type === 'integer' && !Number.isInteger(value)) problems.push(`${path}: ${value} is not an integer`);
        if (s.minimum !== undefined && value < s.minimum) problems.push(`${path}: ${value} < minimum ${s.minimum}`);
        if (s.maximum !== undefined && value > s.maximum) problems.push(`${path}: ${value} > maximum ${s.maximum}`);
        return problems;
      }
      case 'boolean':
        return typeof value === 'boolean' ? [] : [`${path}: expected boolean, got ${typeof value}`];
      case 'array':
        if (!Array.isArray(value)) return [`${path}: expected array, got ${typeof value}`];
        return s.items ? value.flatMap((v, i) => this.conformance(v, s.items!, `${path}[${i}]`)) : [];
      case 'object':
      case undefined: {
        if (s.type === undefined && !s.properties) return [];
        if (typeof value !== 'object' || Array.isArray(value))
          return [`${path}: expected object, got ${Array.isArray(value) ? 'array' : typeof value}`];
        const record = value as Record<string, unknown>;
        const problems = (s.required ?? []).filter((k) => !(k in record)).map((k) => `${path}.${k}: required but missing`);
        for (const [k, v] of Object.entries(record)) {
          const prop = s.properties?.[k];
          if (prop) problems.push(...this.conformance(v, prop, `${path}.${k}`));
          else if (typeof s.additionalProperties === 'object')
            problems.push(...this.conformance(v, s.additionalProperties, `${path}.${k}`));
          else if (s.properties && s.additionalProperties !== true && !s.additionalProperties)
            problems.push(`${path}.${k}: not documented`);
        }
        return problems;
      }
      default:
        return [];
    }
  }
}
