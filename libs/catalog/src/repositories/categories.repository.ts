import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { rowsOf } from '@app/database';
import type { Category, CategoryChange, NewCategory } from '../catalog.types.js';

interface CategoryRow {
  id: string;
  name: string;
  slug: string;
  parent_id: string | null;
}

const toCategory = (r: CategoryRow): Category => ({ id: r.id, name: r.name, slug: r.slug, parentId: r.parent_id });
const COLUMNS = 'id, name, slug, parent_id';

/** catalog.categories: the only code that reads or writes it. */
@Injectable()
export class CategoriesRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** By name, then id. */
  async list(manager: EntityManager = this.dataSource.manager): Promise<Category[]> {
    const rows = await manager.query<CategoryRow[]>(`SELECT ${COLUMNS} FROM catalog.categories ORDER BY name, id`);
    return rows.map(toCategory);
  }

  /**
   * Serializes changes to the category tree for the rest of the transaction, so two concurrent
   * moves cannot form a cycle.
   */
  async lockTree(manager: EntityManager): Promise<void> {
    await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['catalog.categories.tree']);
  }

  async insert(category: NewCategory, manager: EntityManager = this.dataSource.manager): Promise<Category> {
    const rows = await manager.query<CategoryRow[]>(
      `INSERT INTO catalog.categories (name, slug, parent_id) VALUES ($1, $2, $3::uuid) RETURNING ${COLUMNS}`,
      [category.name, category.slug, category.parentId ?? null],
    );
    return toCategory(rows[0]);
  }

  /** The row, locked until the transaction ends. */
  async findForUpdate(id: string, manager: EntityManager): Promise<Category | null> {
    const [row] = await manager.query<CategoryRow[]>(`SELECT ${COLUMNS} FROM catalog.categories WHERE id = $1::uuid FOR UPDATE`, [id]);
    return row ? toCategory(row) : null;
  }

  /** Writes every field of `next` (the caller merged the change into the current row). */
  async update(id: string, next: Required<CategoryChange>, manager: EntityManager = this.dataSource.manager): Promise<Category> {
    const rows = await manager.query<unknown>(
      `UPDATE catalog.categories SET name = $2, slug = $3, parent_id = $4::uuid, updated_at = now() WHERE id = $1::uuid RETURNING ${COLUMNS}`,
      [id, next.name, next.slug, next.parentId],
    );
    return toCategory(rowsOf<CategoryRow>(rows)[0]);
  }

  /**
   * Live products and subcategories that use the category. Under findForUpdate's row lock, which
   * conflicts with the key-share lock a concurrent product insert/update takes through its foreign
   * key, no product can be added to the category between this count and a delete.
   */
  async usage(id: string, manager: EntityManager): Promise<{ products: number; children: number }> {
    const [usage] = await manager.query<{ products: number; children: number }[]>(
      `SELECT (SELECT count(*)::int FROM catalog.products WHERE category_id = $1::uuid AND deleted_at IS NULL) AS products,
              (SELECT count(*)::int FROM catalog.categories WHERE parent_id = $1::uuid) AS children`,
      [id],
    );
    return usage;
  }

  async delete(id: string, manager: EntityManager): Promise<void> {
    await manager.query('DELETE FROM catalog.categories WHERE id = $1::uuid', [id]);
  }

  /** Whether `id` is `parentId` or one of its ancestors (so making it a child of parentId would cycle). */
  async isAncestorOrSelf(id: string, parentId: string, manager: EntityManager): Promise<boolean> {
    const [hit] = await manager.query<unknown[]>(
      `WITH RECURSIVE up AS (
         SELECT id, parent_id FROM catalog.categories WHERE id = $1::uuid
         UNION SELECT c.id, c.parent_id FROM catalog.categories c JOIN up ON c.id = up.parent_id
       ) SELECT 1 AS hit FROM up WHERE id = $2::uuid LIMIT 1`,
      [parentId, id],
    );
    return hit !== undefined;
  }

  /** Upserts by slug; unchanged rows are not touched. The category's id. */
  async upsertBySlug(
    category: { name: string; slug: string; parentId: string | null },
    manager: EntityManager = this.dataSource.manager,
  ): Promise<string> {
    await manager.query(
      `INSERT INTO catalog.categories (name, slug, parent_id) VALUES ($1, $2, $3::uuid)
       ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name, parent_id = EXCLUDED.parent_id, updated_at = now()
       WHERE (catalog.categories.name, catalog.categories.parent_id) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.parent_id)`,
      [category.name, category.slug, category.parentId],
    );
    const [row] = await manager.query<{ id: string }[]>('SELECT id FROM catalog.categories WHERE slug = $1', [category.slug]);
    return row.id;
  }
}
