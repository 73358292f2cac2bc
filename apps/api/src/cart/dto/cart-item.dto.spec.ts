import { BadRequestException, type ArgumentMetadata } from '@nestjs/common';
import { createValidationPipe } from '../../http/validation.pipe.js';
import { AddCartItemDto, SetCartItemDto } from './cart-item.dto.js';

// Subclasses carry the same decorators but no @PlainlyValidWhen mark: always the full validation.
class FullAddCartItemDto extends AddCartItemDto {}
class FullSetCartItemDto extends SetCartItemDto {}

const ID = '0b7e3f0e-2f6a-4c61-9a43-7a0f3f1e5d21';

/** What the pipe answers: the DTO's class and fields, or the 400 messages. */
async function outcome(value: unknown, metatype: ArgumentMetadata['metatype']): Promise<unknown> {
  try {
    const dto = (await createValidationPipe().transform(value, { type: 'body', metatype })) as object;
    return { fields: { ...dto }, isDto: dto instanceof (metatype as new () => object) };
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestException);
    return { messages: ((error as BadRequestException).getResponse() as { message: string[] }).message };
  }
}

const quantities: unknown[] = [1, 0, 100, 101, -1, 1.5, '1', null, true, Number.NaN, Infinity, 1e21, -0];
const productIds: unknown[] = [ID, ID.toUpperCase(), ID.slice(1), ` ${ID}`, `${ID}\n`, 42, null, '', undefined];

describe('cart item bodies: the plainly-valid shortcut answers exactly as the full validation', () => {
  const addBodies: unknown[] = [
    ...productIds.flatMap((productId) => quantities.map((quantity) => ({ productId, quantity }))),
    { productId: ID },
    { quantity: 1 },
    {},
    { productId: ID, quantity: 1, priceCents: 1 },
    { productId: ID, quantity: 1, constructor: 1 },
    JSON.parse(`{"productId":"${ID}","quantity":1,"__proto__":{"x":1}}`),
    Object.assign(Object.create(null), { productId: ID, quantity: 1 }),
    [ID, 1],
    null,
    'x',
  ];
  const setBodies: unknown[] = [...quantities.map((quantity) => ({ quantity })), {}, { quantity: 1, productId: ID }, [], null];

  it.each([
    ['POST /cart/items', AddCartItemDto, FullAddCartItemDto, addBodies],
    ['PUT /cart/items/:productId', SetCartItemDto, FullSetCartItemDto, setBodies],
  ] as const)('%s', async (_route, dto, full, bodies) => {
    let shortcuts = 0;
    for (const body of bodies) {
      const fast = await outcome(body, dto);
      const slow = await outcome(body, full);
      expect([body, fast]).toEqual([body, slow]);
      // A body the shortcut took is answered synchronously (no promise).
      const answer: unknown = createValidationPipe().transform(body, { type: 'body', metatype: dto });
      const sync = !(answer instanceof Promise);
      if (!sync) await answer.catch(() => undefined);
      if (sync) {
        expect([body, fast]).toEqual([body, expect.objectContaining({ isDto: true })]);
        shortcuts++;
      }
    }
    expect(shortcuts).toBeGreaterThan(0);
  });
});
