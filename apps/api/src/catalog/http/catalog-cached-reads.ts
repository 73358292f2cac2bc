import type { INestApplicationContext } from '@nestjs/common';
import { ProductReader } from '@app/catalog';
import type { CachedRead } from '../../http/cached-reads.js';
import type { RouteLimitOf } from '../../throttling/route-rate-limit.js';
import { ProductsController } from '../controllers/products.controller.js';
import { productCachedRead } from './product-cached-read.js';

/** The catalog's GETs answered from L1 before Nest routes them (a route with a limit of its own is left to Nest). */
export function catalogCachedReads(app: INestApplicationContext, prefix: string, limitOf: RouteLimitOf): CachedRead[] {
  const reads: CachedRead[] = [];
  // eslint-disable-next-line @typescript-eslint/unbound-method -- the handler is only read for its metadata and name, never called
  const productLimit = limitOf(ProductsController, ProductsController.prototype.get);
  if (productLimit) reads.push(productCachedRead(`/${prefix}/products/:id`, app.get(ProductReader), productLimit));
  return reads;
}
