import type { ProductReader } from '@app/catalog';
import { isUuid } from '@app/common';
import type { CachedRead } from '../../http/cached-reads.js';
import type { RouteRateLimit } from '../../throttling/route-rate-limit.js';

/**
 * GET /products/:id answered from L1 (see CachedRead): only a well-formed id the L1 holds as a live
 * product; the controller (ProductsController.get) answers every other request, 400 and 404 included.
 */
export function productCachedRead(url: string, reader: ProductReader, limit: RouteRateLimit): CachedRead {
  return {
    url,
    limit,
    peek(id: string): object | undefined {
      return typeof id === 'string' && isUuid(id) ? reader.peek(id.toLowerCase()) : undefined;
    },
  };
}
