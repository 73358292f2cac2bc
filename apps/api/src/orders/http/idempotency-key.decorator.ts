import { BadRequestException, createParamDecorator, type ExecutionContext } from '@nestjs/common';

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
const MAX_LENGTH = 255;
// Visible characters only: a key is compared byte for byte and stored as text.
const PRINTABLE = /^[\x21-\x7e\u00a0-\u00ff]+(?: [\x21-\x7e\u00a0-\u00ff]+)*$/;

/** The `Idempotency-Key` header: required, 1..255 visible characters, sent once. */
export const IdempotencyKey = createParamDecorator((_data: unknown, ctx: ExecutionContext): string => {
  const value = ctx.switchToHttp().getRequest<{ headers: Record<string, string | string[] | undefined> }>().headers[IDEMPOTENCY_KEY_HEADER];
  if (value === undefined) throw new BadRequestException(['Idempotency-Key: is required']);
  if (typeof value !== 'string') throw new BadRequestException(['Idempotency-Key: must be sent once']);
  if (value.length < 1 || value.length > MAX_LENGTH)
    throw new BadRequestException([`Idempotency-Key: must be 1 to ${MAX_LENGTH} characters`]);
  if (!PRINTABLE.test(value)) throw new BadRequestException(['Idempotency-Key: must contain only visible characters']);
  return value;
});
