import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { ProductPage } from '../catalog.types.js';
import type { NormalizedProductQuery } from '../product-query.js';
import { PRODUCT_SOURCE_COLUMNS, productRowColumnsOf, toProduct, type ProductRow } from './product-row.js';

const SORT_COLUMNS: Record<string, string> = { name: 'name', price: 'price_cents', createdAt: 'created_at' };
const MAX_WORDS = 8;

/** `%`, `_` and `\` are LIKE metacharacters: a search word matches literally. */
function likeWord(word: string): string {
  return `%${word.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * SQL of a product list page: the filters, then ONE statement returning the page and the total
 * from the same snapshot (a NOT MATERIALIZED CTE, so the page walks the sort index and the count
 * does its own scan). Every sort ends with the id tiebreaker, in the sort's direction.
 */
@Injectable()
export class ProductListRepository {
  build(n: NormalizedProductQuery): { sql: string; params: unknown[] } {
    const params: unknown[] = [];
    const where = ['p.deleted_at IS NULL'];
    const bind = (value: unknown): string => {
      params.push(value);
      return `$${params.length}`;
    };
    if (n.category !== null) where.push(`c.slug = ${bind(n.category)}`);
    if (n.minPrice !== null) where.push(`p.price_cents >= ${bind(n.minPrice)}::int`);
    if (n.maxPrice !== null) where.push(`p.price_cents <= ${bind(n.maxPrice)}::int`);
    if (n.inStock) where.push('p.stock > 0');
    if (n.q !== null) {
      for (const word of n.q.split(' ').slice(0, MAX_WORDS)) where.push(`(p.name || ' ' || p.description) ILIKE ${bind(likeWord(word))}`);
    }
    const desc = n.sort.startsWith('-');
    const column = SORT_COLUMNS[desc ? n.sort.slice(1) : n.sort];
    const dir = desc ? 'DESC' : 'ASC';
    const order = (alias: string): string => `${alias}.${column} ${dir}, ${alias}.id ${dir}`;
    const limit = bind(n.limit);
    const offset = bind((n.page - 1) * n.limit);
    const sql = `
      WITH filtered AS NOT MATERIALIZED (
        SELECT ${PRODUCT_SOURCE_COLUMNS}
        FROM catalog.products p JOIN catalog.categories c ON c.id = p.category_id
        WHERE ${where.join(' AND ')}
      )
      SELECT t.total, ${productRowColumnsOf('f')}
      FROM (SELECT count(*)::int AS total FROM filtered) t
      LEFT JOIN LATERAL (SELECT * FROM filtered f ORDER BY ${order('f')} LIMIT ${limit}::int OFFSET ${offset}::int) f ON true
      ORDER BY ${order('f')}`;
    return { sql, params };
  }

  /** One page and the total; `manager` is the session to read on (the replica or the primary). */
  async run(manager: EntityManager, n: NormalizedProductQuery): Promise<ProductPage> {
    const { sql, params } = this.build(n);
    const rows = await manager.query<(ProductRow & { total: number })[]>(sql, params);
    const total = rows[0]?.total ?? 0;
    const items = rows.filter((r) => r.id !== null).map(toProduct);
    return { items, total, page: n.page, limit: n.limit };
  }
}
