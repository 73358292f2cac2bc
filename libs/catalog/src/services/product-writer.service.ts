import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, ConflictError, InvalidInputError, NotFoundError, type AppConfig } from '@app/common';
import { OutboxRepository, PG, Transactions, withPgErrors, type PgErrorRule } from '@app/database';
import { CATALOG_EVENTS, type ProductDeletedEvent, type StockChangedEvent } from '../catalog.events.js';
import type { NewProduct, Product, ProductChange } from '../catalog.types.js';
import { ProductsRepository } from '../repositories/products.repository.js';
import { BestsellersService } from './bestsellers.service.js';
import { CatalogCache } from './catalog-cache.service.js';
import { ProductReader } from './product-reader.service.js';

const WRITE_ERRORS: PgErrorRule[] = [
  {
    code: PG.uniqueViolation,
    constraint: 'products_sku_live_key',
    error: () => new ConflictError('sku: already taken by another product'),
  },
  { code: PG.foreignKeyViolation, error: () => new InvalidInputError(['categoryId: no category with this id']) },
  { code: PG.checkViolation, error: ({ constraint }) => new InvalidInputError([`${constraint ?? 'body'}: violates a constraint`]) },
];

/**
 * Product writes on the primary. After the commit: the commit LSN is recorded, the product's
 * cache entry is tombstoned and the list namespace bumped; then the product is read back through
 * the cache, which stores the committed row (write-through). Reloading instead of caching the
 * in-memory result keeps concurrent writers safe: the compare-and-set store of a reload that lost
 * a race with a later write fails, while a blind SET of "my committed row" could land after a
 * newer one.
 */
@Injectable()
export class ProductWriter {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly transactions: Transactions,
    private readonly products: ProductsRepository,
    private readonly cache: CatalogCache,
    private readonly reader: ProductReader,
    private readonly bestsellers: BestsellersService,
    private readonly outbox: OutboxRepository,
  ) {}

  async create(product: NewProduct): Promise<Product> {
    const id = await withPgErrors(WRITE_ERRORS, () =>
      this.transactions.run(async (tx) => {
        const created = await this.products.insert(product, this.config.app.currency, tx.manager);
        tx.afterCommit(() => this.cache.productsChanged([created]));
        return created;
      }),
    );
    return this.readBack(id);
  }

  async update(id: string, change: ProductChange): Promise<Product> {
    await withPgErrors(WRITE_ERRORS, () =>
      this.transactions.run(async (tx) => {
        if (!(await this.products.update(id, change, tx.manager))) throw new NotFoundError(`product ${id} not found`);
        if (change.stock !== undefined)
          await this.outbox.append(tx.manager, CATALOG_EVENTS.stockChanged, { productIds: [id] } satisfies StockChangedEvent);
        tx.afterCommit(() => this.cache.productsChanged([id]));
      }),
    );
    return this.readBack(id);
  }

  /** Soft delete: gone from reads and lists, kept for past orders. */
  async remove(id: string): Promise<void> {
    await this.transactions.run(async (tx) => {
      if (!(await this.products.softDelete(id, tx.manager))) throw new NotFoundError(`product ${id} not found`);
      await this.outbox.append(tx.manager, CATALOG_EVENTS.productDeleted, { productId: id } satisfies ProductDeletedEvent);
      tx.afterCommit(() => this.cache.productsChanged([id]));
      tx.afterCommit(() => this.bestsellers.forget(id));
    });
  }

  /** The committed row, read through the cache (which stores it). */
  private async readBack(id: string): Promise<Product> {
    const product = await this.reader.findById(id);
    if (!product) throw new NotFoundError(`product ${id} not found`); // deleted concurrently
    return product;
  }
}
