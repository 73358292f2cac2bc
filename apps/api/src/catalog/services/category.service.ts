import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { CategoryDto, CreateCategoryDto, UpdateCategoryDto } from '../dto/category.dto.js';
import { jsonBody, type JsonBody } from '../http/etag.js';
import { CatalogCache } from './catalog-cache.service.js';
import { PG, pgError } from './pg-errors.js';
import { rowsOf } from './product-view.js';

interface CategoryRow {
  id: string;
  name: string;
  slug: string;
  parent_id: string | null;
}

const toDto = (r: CategoryRow): CategoryDto => ({ id: r.id, name: r.name, slug: r.slug, parentId: r.parent_id });
// Serializes changes to the category tree so two concurrent moves cannot form a cycle.
const TREE_LOCK = 'catalog.categories.tree';

/** Categories: cached list (primary loader), admin writes with slug / usage / cycle checks. */
@Injectable()
export class CategoryService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly cache: CatalogCache,
  ) {}

  list(): Promise<JsonBody> {
    return this.cache.categoryList(async () => {
      const rows = (await this.dataSource.query('SELECT id, name, slug, parent_id FROM catalog.categories ORDER BY name, id')) as CategoryRow[];
      return jsonBody(rows.map(toDto));
    });
  }

  async create(dto: CreateCategoryDto): Promise<CategoryDto> {
    const row = await this.write(async (m) => {
      const rows = (await m.query('INSERT INTO catalog.categories (name, slug, parent_id) VALUES ($1, $2, $3::uuid) RETURNING id, name, slug, parent_id', [
        dto.name,
        dto.slug,
        dto.parentId ?? null,
      ])) as CategoryRow[];
      return rows[0]!;
    });
    return toDto(row);
  }

  async update(id: string, dto: UpdateCategoryDto): Promise<CategoryDto> {
    const row = await this.write(async (m) => {
      const [current] = (await m.query('SELECT id, name, slug, parent_id FROM catalog.categories WHERE id = $1::uuid FOR UPDATE', [id])) as CategoryRow[];
      if (!current) throw new NotFoundException(`category ${id} not found`);
      if (dto.parentId) await this.assertNoCycle(m, id, dto.parentId);
      const rows = await m.query(
        `UPDATE catalog.categories SET name = $2, slug = $3, parent_id = $4::uuid, updated_at = now()
         WHERE id = $1::uuid RETURNING id, name, slug, parent_id`,
        [id, dto.name ?? current.name, dto.slug ?? current.slug, dto.parentId === undefined ? current.parent_id : dto.parentId],
      );
      return rowsOf<CategoryRow>(rows)[0]!;
    });
    return toDto(row);
  }

  /**
   * 409 while live products or subcategories use it. The row lock conflicts with the key-share
   * lock a concurrent product insert/update takes through its foreign key, so no product can be
   * added to the category between the check and the delete (that write fails with 400 instead).
   */
  async remove(id: string): Promise<void> {
    await this.write(async (m) => {
      const [row] = (await m.query('SELECT id FROM catalog.categories WHERE id = $1::uuid FOR UPDATE', [id])) as { id: string }[];
      if (!row) throw new NotFoundException(`category ${id} not found`);
      const [usage] = (await m.query(
        `SELECT (SELECT count(*)::int FROM catalog.products WHERE category_id = $1::uuid AND deleted_at IS NULL) AS products,
                (SELECT count(*)::int FROM catalog.categories WHERE parent_id = $1::uuid) AS children`,
        [id],
      )) as { products: number; children: number }[];
      if (usage!.products > 0) throw new ConflictException(`category ${id} is used by ${usage!.products} product(s)`);
      if (usage!.children > 0) throw new ConflictException(`category ${id} has ${usage!.children} subcategor${usage!.children === 1 ? 'y' : 'ies'}`);
      await m.query('DELETE FROM catalog.categories WHERE id = $1::uuid', [id]);
    });
  }

  /** A category may not become its own ancestor. */
  private async assertNoCycle(m: EntityManager, id: string, parentId: string): Promise<void> {
    if (parentId === id) throw new BadRequestException(['parentId: a category cannot be its own parent']);
    const [hit] = (await m.query(
      `WITH RECURSIVE up AS (
         SELECT id, parent_id FROM catalog.categories WHERE id = $1::uuid
         UNION SELECT c.id, c.parent_id FROM catalog.categories c JOIN up ON c.id = up.parent_id
       ) SELECT 1 AS hit FROM up WHERE id = $2::uuid LIMIT 1`,
      [parentId, id],
    )) as unknown[];
    if (hit) throw new BadRequestException(['parentId: would make the category its own ancestor']);
  }

  /** One transaction on the primary; constraint errors become 4xx; caches follow the commit. */
  private async write<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await this.dataSource.transaction(async (m) => {
        await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [TREE_LOCK]);
        return work(m);
      });
    } catch (error) {
      throw mapCategoryError(error);
    }
    await this.cache.categoriesChanged();
    return result;
  }
}

function mapCategoryError(error: unknown): unknown {
  const { code, constraint } = pgError(error);
  if (code === PG.uniqueViolation && constraint === 'categories_slug_key') return new ConflictException('slug: already taken by another category');
  if (code === PG.foreignKeyViolation) return new BadRequestException(['parentId: no category with this id']);
  if (code === PG.checkViolation && constraint === 'categories_not_own_parent') return new BadRequestException(['parentId: a category cannot be its own parent']);
  return error;
}
