import { BadRequestException, ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '@app/common';
import type { ProductDto } from '../dto/product.dto.js';
import type { CreateProductDto, UpdateProductDto } from '../dto/product-write.dto.js';
import { BestsellersService } from './bestsellers.service.js';
import { CatalogCache } from './catalog-cache.service.js';
import { PG, pgError } from './pg-errors.js';
import { ProductReader } from './product-reader.service.js';
import { rowsOf } from './product-view.js';

const COLUMNS: Record<keyof UpdateProductDto, string> = {
  sku: 'sku',
  name: 'name',
  description: 'description',
  priceCents: 'price_cents',
  stock: 'stock',
  categoryId: 'category_id',
};
const CASTS: Record<keyof UpdateProductDto, string> = { sku: '', name: '', description: '', priceCents: '::int', stock: '::int', categoryId: '::uuid' };

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
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly cache: CatalogCache,
    private readonly reader: ProductReader,
    private readonly bestsellers: BestsellersService,
  ) {}

  async create(dto: CreateProductDto): Promise<ProductDto> {
    let id: string;
    try {
      const rows = (await this.dataSource.query(
        `INSERT INTO catalog.products (sku, name, description, price_cents, currency, stock, category_id)
         VALUES ($1, $2, $3, $4::int, $5, $6::int, $7::uuid) RETURNING id`,
        [dto.sku, dto.name, dto.description ?? '', dto.priceCents, this.config.app.currency, dto.stock ?? 0, dto.categoryId],
      )) as { id: string }[];
      id = rows[0]!.id;
    } catch (error) {
      throw mapWriteError(error);
    }
    return this.committed(id);
  }

  async update(id: string, dto: UpdateProductDto): Promise<ProductDto> {
    const sets: string[] = [];
    const params: unknown[] = [id];
    for (const field of Object.keys(COLUMNS) as (keyof UpdateProductDto)[]) {
      if (dto[field] === undefined) continue;
      params.push(dto[field]);
      sets.push(`${COLUMNS[field]} = $${params.length}${CASTS[field]}`);
    }
    if (sets.length > 0) {
      let updated: unknown[];
      try {
        updated = rowsOf(
          await this.dataSource.query(
            `UPDATE catalog.products SET ${sets.join(', ')}, updated_at = now() WHERE id = $1::uuid AND deleted_at IS NULL RETURNING id`,
            params,
          ),
        );
      } catch (error) {
        throw mapWriteError(error);
      }
      if (updated.length === 0) throw new NotFoundException(`product ${id} not found`);
    }
    return this.committed(id);
  }

  /** Soft delete: gone from reads and lists, kept for past orders. */
  async remove(id: string): Promise<void> {
    const rows = rowsOf(
      await this.dataSource.query(
        'UPDATE catalog.products SET deleted_at = now(), updated_at = now() WHERE id = $1::uuid AND deleted_at IS NULL RETURNING id',
        [id],
      ),
    );
    if (rows.length === 0) throw new NotFoundException(`product ${id} not found`);
    await this.cache.productsChanged([id]);
    await this.bestsellers.forget(id);
  }

  /** Invalidate after the commit, then read the committed row back through the cache (caching it). */
  private async committed(id: string): Promise<ProductDto> {
    await this.cache.productsChanged([id]);
    const product = await this.reader.findById(id);
    if (!product) throw new NotFoundException(`product ${id} not found`); // deleted concurrently
    return product;
  }
}

function mapWriteError(error: unknown): unknown {
  const { code, constraint } = pgError(error);
  if (code === PG.uniqueViolation && constraint === 'products_sku_live_key') return new ConflictException('sku: already taken by another product');
  if (code === PG.foreignKeyViolation) return new BadRequestException(['categoryId: no category with this id']);
  if (code === PG.checkViolation) return new BadRequestException([`${constraint ?? 'body'}: violates a constraint`]);
  return error;
}
