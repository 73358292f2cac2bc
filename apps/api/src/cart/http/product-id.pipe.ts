import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';
import { UUID_PATTERN } from '../dto/cart-item.dto.js';

/** `:productId` path parameter: a malformed one is a 400 naming it; returned lower-cased. */
@Injectable()
export class ProductIdPipe implements PipeTransform<unknown, string> {
  transform(value: unknown): string {
    if (typeof value === 'string' && UUID_PATTERN.test(value)) return value.toLowerCase();
    throw new BadRequestException(['productId: must be a UUID']);
  }
}
