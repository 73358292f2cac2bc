import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { CatalogClient, uniq, type Product } from '../catalog/catalog-fixtures.js';
import { createAdmin } from './auth.js';

export type { Product } from '../catalog/catalog-fixtures.js';

/** An admin catalog client with one fresh category, for suites that need products (cart, orders). */
export class ProductFactory {
  private constructor(
    readonly client: CatalogClient,
    readonly categoryId: string,
  ) {}

  static async create(app: NestFastifyApplication): Promise<ProductFactory> {
    const client = new CatalogClient(app, (await createAdmin(app)).accessToken);
    const tag = uniq();
    const category = await client.createCategory({ name: `Cart ${tag}`, slug: `cart-${tag}` });
    return new ProductFactory(client, category.id);
  }

  /** A product through the admin API (default: 10.00 EUR, 1,000 in stock). */
  product(overrides: { name?: string; priceCents?: number; stock?: number } = {}): Promise<Product> {
    return this.client.createProduct({
      name: overrides.name ?? `Product ${uniq()}`,
      priceCents: overrides.priceCents ?? 1000,
      stock: overrides.stock ?? 1000,
      categoryId: this.categoryId,
    });
  }

  products(n: number, overrides: { priceCents?: number; stock?: number } = {}): Promise<Product[]> {
    return Promise.all(Array.from({ length: n }, () => this.product(overrides)));
  }
}
