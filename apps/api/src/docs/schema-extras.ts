import type { SchemaObject } from '@nestjs/swagger';

/** Schema keywords that property decorators cannot say, by DTO class name (its schema's name). */
const extras = new Map<string, SchemaObject>();

/**
 * Adds schema keywords to the DTO's schema in components.schemas that @ApiProperty cannot express
 * on one property, e.g. "exactly one of stock or delta":
 * `@ApiSchemaExtras({ oneOf: [{ required: ['stock'] }, { required: ['delta'] }] })`.
 */
export const ApiSchemaExtras =
  (keywords: SchemaObject): ClassDecorator =>
  (target) => {
    extras.set(target.name, keywords);
  };

/** Merges the registered keywords into the document's component schemas. */
export function applySchemaExtras(schemas: Record<string, SchemaObject> | undefined): void {
  for (const [name, keywords] of extras) {
    const schema = schemas?.[name];
    if (schema) Object.assign(schema, keywords);
  }
}
