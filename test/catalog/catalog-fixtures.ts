import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import { bearer } from '../support/auth.js';

/** Settings every catalog suite uses: rate limits out of the way (they are identity's subject). */
export const CATALOG_TEST_ENV = { THROTTLE_LIMIT: '1000000' };

/** A short unique tag per call, so slugs and SKUs never collide between suites of one run. */
export function uniq(): string {
  return randomUUID().slice(0, 8);
}

export interface Category {
  id: string;
  name: string;
  slug: string;
  parentId: string | null;
}

export interface Product {
  id: string;
  sku: string;
  name: string;
  description: string;
  priceCents: number;
  currency: string;
  stock: number;
  category: { id: string; name: string; slug: string };
  createdAt: string;
  updatedAt: string;
}

export class CatalogClient {
  constructor(
    readonly app: NestFastifyApplication,
    readonly token: string,
  ) {}

  async createCategory(body: Partial<Category> & { name: string; slug: string }): Promise<Category> {
    const res = await this.app.inject({ method: 'POST', url: '/api/v1/categories', headers: bearer(this.token), payload: body });
    if (res.statusCode !== 201) throw new Error(`createCategory ${res.statusCode}: ${res.body}`);
    return res.json();
  }

  async createProduct(body: {
    sku?: string;
    name: string;
    description?: string;
    priceCents: number;
    stock?: number;
    categoryId: string;
  }): Promise<Product> {
    const res = await this.app.inject({
      method: 'POST',
      url: '/api/v1/products',
      headers: bearer(this.token),
      payload: { sku: `SKU-${uniq()}`, ...body },
    });
    if (res.statusCode !== 201) throw new Error(`createProduct ${res.statusCode}: ${res.body}`);
    return res.json();
  }

  patchProduct(id: string, payload: Record<string, unknown>, app = this.app) {
    return app.inject({ method: 'PATCH', url: `/api/v1/products/${id}`, headers: bearer(this.token), payload });
  }

  inventory(items: Record<string, unknown>[], app = this.app) {
    return app.inject({ method: 'PATCH', url: '/api/v1/products/inventory', headers: bearer(this.token), payload: { items } });
  }
}

export async function getJson<T = unknown>(app: NestFastifyApplication, url: string): Promise<{ status: number; body: T; etag?: string }> {
  const res = await app.inject({ method: 'GET', url });
  return {
    status: res.statusCode,
    body: res.statusCode === 304 ? (undefined as T) : res.json<T>(),
    etag: res.headers.etag,
  };
}
