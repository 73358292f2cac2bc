import { NotFoundError } from '@app/common';

/** Every unknown or deleted product of a request, named; nothing was changed. */
export class UnknownProductsError extends NotFoundError {
  constructor(readonly productIds: string[]) {
    super(`product(s) not found: ${productIds.join(', ')}`);
  }
}
