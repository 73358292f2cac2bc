import { Injectable } from '@nestjs/common';
import { ConflictError, InvalidInputError, NotFoundError } from '@app/common';
import { PG, ReplicaReader, Transactions, withPgErrors, type PgErrorRule, type Transaction } from '@app/database';
import type { Category, CategoryChange, NewCategory } from '../catalog.types.js';
import { CategoriesRepository } from '../repositories/categories.repository.js';
import { CatalogCache } from './catalog-cache.service.js';
import { UncachedRead } from './uncached-read.js';

const WRITE_ERRORS: PgErrorRule[] = [
  {
    code: PG.uniqueViolation,
    constraint: 'categories_slug_key',
    error: () => new ConflictError('slug: already taken by another category'),
  },
  { code: PG.foreignKeyViolation, error: () => new InvalidInputError(['parentId: no category with this id']) },
  {
    code: PG.checkViolation,
    constraint: 'categories_not_own_parent',
    error: () => new InvalidInputError(['parentId: a category cannot be its own parent']),
  },
];

/**
 * Categories: cached list (primary loader; the replica, uncached, while the primary cannot be
 * reached), admin writes with slug / usage / cycle checks.
 */
@Injectable()
export class CategoryService {
  constructor(
    private readonly transactions: Transactions,
    private readonly categories: CategoriesRepository,
    private readonly cache: CatalogCache,
    private readonly replicaReader: ReplicaReader,
  ) {}

  list(): Promise<Category[]> {
    return this.cache.categoryList(async () => {
      const { value, source } = await this.replicaReader.primaryFirst((manager) => this.categories.list(manager));
      if (source === 'replica') throw new UncachedRead(value);
      return value;
    });
  }

  create(category: NewCategory): Promise<Category> {
    return this.write((tx) => this.categories.insert(category, tx.manager));
  }

  update(id: string, change: CategoryChange): Promise<Category> {
    return this.write(async (tx) => {
      const current = await this.categories.findForUpdate(id, tx.manager);
      if (!current) throw new NotFoundError(`category ${id} not found`);
      if (change.parentId) await this.assertNoCycle(tx, id, change.parentId);
      return this.categories.update(
        id,
        {
          name: change.name ?? current.name,
          slug: change.slug ?? current.slug,
          parentId: change.parentId === undefined ? current.parentId : change.parentId,
        },
        tx.manager,
      );
    });
  }

  /** Refused (conflict) while live products or subcategories use it. */
  remove(id: string): Promise<void> {
    return this.write(async (tx) => {
      if (!(await this.categories.findForUpdate(id, tx.manager))) throw new NotFoundError(`category ${id} not found`);
      const usage = await this.categories.usage(id, tx.manager);
      if (usage.products > 0) throw new ConflictError(`category ${id} is used by ${usage.products} product(s)`);
      if (usage.children > 0)
        throw new ConflictError(`category ${id} has ${usage.children} subcategor${usage.children === 1 ? 'y' : 'ies'}`);
      await this.categories.delete(id, tx.manager);
    });
  }

  /** A category may not become its own ancestor. */
  private async assertNoCycle(tx: Transaction, id: string, parentId: string): Promise<void> {
    if (parentId === id) throw new InvalidInputError(['parentId: a category cannot be its own parent']);
    if (await this.categories.isAncestorOrSelf(id, parentId, tx.manager))
      throw new InvalidInputError(['parentId: would make the category its own ancestor']);
  }

  /** One transaction on the primary, serialized with other tree changes; caches follow the commit. */
  private write<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    return withPgErrors(WRITE_ERRORS, () =>
      this.transactions.run(async (tx) => {
        await this.categories.lockTree(tx.manager);
        tx.afterCommit(() => this.cache.catalogChanged());
        return work(tx);
      }),
    );
  }
}
