import { BadRequestException, type ArgumentMetadata } from '@nestjs/common';
import { createValidationPipe } from '../../http/validation.pipe.js';
import { ProductQueryDto } from './product-query.dto.js';

// Same decorators, no @PlainlyValidQueryWhen mark: always the full validation.
class FullProductQueryDto extends ProductQueryDto {}

/** What the pipe answers for a query: the DTO's class and fields, or the 400 messages. */
async function outcome(query: unknown, metatype: ArgumentMetadata['metatype']): Promise<unknown> {
  try {
    const dto = (await createValidationPipe().transform(query, { type: 'query', metatype })) as object;
    return { fields: { ...dto }, isDto: dto instanceof (metatype as new () => object) };
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestException);
    // Sorted: a subclass lists its inherited fields' errors in another order.
    return { messages: [...((error as BadRequestException).getResponse() as { message: string[] }).message].sort() };
  }
}

/** What Fastify's query parser (fast-querystring) builds: an object whose prototype is an empty null-prototype object. */
function Parsed(): void {}
Parsed.prototype = Object.create(null) as object;
const parsed = (fields: Record<string, unknown>): Record<string, unknown> =>
  Object.assign(new (Parsed as unknown as new () => object)(), fields);

const ints = [
  '0',
  '1',
  '20',
  '100',
  '101',
  '007',
  '-1',
  '+1',
  ' 1',
  '1 ',
  '1.5',
  '1e3',
  '0x10',
  '',
  'abc',
  '2147483647',
  '2147483648',
  '99999999999',
];
const values: Record<string, string[]> = {
  page: ints,
  limit: ints,
  minPrice: ints,
  maxPrice: ints,
  q: ['', 'espresso cup', 'a\u0000b', 'x'.repeat(100), 'x'.repeat(101), '😀'.repeat(50), '😀'.repeat(51), '%_\\'],
  category: ['kitchen', 'a-b', 'A', '-a', 'a--b', '', 'x'.repeat(120), 'x'.repeat(121), 'kitchen '],
  inStock: ['true', 'false', 'TRUE', '1', ''],
  sort: ['name', '-name', 'price', '-price', 'createdAt', '-createdAt', 'id', '', 'Price'],
};

/** A small deterministic generator, so a failure names a query that can be replayed. */
function* randomQueries(count: number): Generator<Record<string, unknown>> {
  let seed = 20261203;
  const next = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const keys = Object.keys(values);
  for (let i = 0; i < count; i++) {
    const q: Record<string, unknown> = {};
    for (const key of keys) if (next(3) === 0) q[key] = values[key][next(values[key].length)];
    yield parsed(q);
  }
}

describe('product list queries: the plainly-valid shortcut answers exactly as the full validation', () => {
  const queries: unknown[] = [
    parsed({}),
    {},
    Object.assign(Object.create(null) as object, { page: '2' }),
    { sort: 'price', limit: '5' },
    ...Object.entries(values).flatMap(([key, list]) => list.map((v) => parsed({ [key]: v }))),
    parsed({ minPrice: '100', maxPrice: '99' }),
    parsed({ minPrice: '100', maxPrice: '100' }),
    parsed({ minPrice: '5', maxPrice: '1000', sort: '-price', page: '2', limit: '50', inStock: 'true', category: 'kitchen', q: 'cup' }),
    parsed({ page: ['1', '2'] }),
    parsed({ unknown: '1' }),
    parsed({ constructor: '1' }),
    parsed({ __proto__: '1' }),
    Object.assign(Object.create({ inherited: true }) as object, { page: '1' }),
    ...randomQueries(400),
  ];

  it('answers every query like the full validation, and takes the shortcut for the plainly valid ones', async () => {
    let shortcuts = 0;
    for (const query of queries) {
      const fast = await outcome(query, ProductQueryDto);
      const slow = await outcome(query, FullProductQueryDto);
      expect([query, fast]).toEqual([query, slow]);
      // A query the shortcut took is answered synchronously (no promise).
      const answer: unknown = createValidationPipe().transform(query, { type: 'query', metatype: ProductQueryDto });
      if (answer instanceof Promise) {
        await answer.catch(() => undefined);
      } else {
        expect([query, fast]).toEqual([query, expect.objectContaining({ isDto: true })]);
        shortcuts++;
      }
    }
    expect(shortcuts).toBeGreaterThan(100);
  });

  it('converts numbers and keeps the defaults of the fields not given', () => {
    const dto = createValidationPipe().transform(parsed({ maxPrice: '1500', sort: 'price' }), {
      type: 'query',
      metatype: ProductQueryDto,
    }) as ProductQueryDto;
    expect(dto).toBeInstanceOf(ProductQueryDto);
    expect({ ...dto }).toEqual({ page: 1, limit: 20, maxPrice: 1500, sort: 'price' });
  });
});
