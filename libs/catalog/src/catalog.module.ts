import { Module } from '@nestjs/common';
import { CategoriesRepository } from './repositories/categories.repository.js';
import { ProductListRepository } from './repositories/product-list.repository.js';
import { ProductSalesRepository } from './repositories/product-sales.repository.js';
import { ProductsRepository } from './repositories/products.repository.js';
import { BestsellersService } from './services/bestsellers.service.js';
import { CatalogCache } from './services/catalog-cache.service.js';
import { CatalogImportService } from './services/catalog-import.service.js';
import { CategoryService } from './services/category.service.js';
import { InventoryService } from './services/inventory.service.js';
import { ProductLookup } from './services/product-lookup.service.js';
import { ProductReader } from './services/product-reader.service.js';
import { ProductWriter } from './services/product-writer.service.js';
import { ReplicaFreshness } from './services/replica-freshness.service.js';
import { BestsellersStore } from './store/bestsellers.store.js';
import { CommitLsnStore } from './store/commit-lsn.store.js';
import { ProductReadsStore } from './store/product-reads.store.js';
import { CatalogWarmer } from './services/catalog-warmer.service.js';

const SERVICES = [
  ProductReader,
  ProductWriter,
  ProductLookup,
  CategoryService,
  InventoryService,
  BestsellersService,
  CatalogImportService,
  CatalogWarmer,
];

/**
 * Catalog: categories, products, inventory, bestsellers. Other modules use the exported services
 * (ProductLookup for cached batch reads, InventoryService to take stock inside their transaction,
 * BestsellersService.recordSale), never the catalog's tables or Redis keys.
 */
@Module({
  providers: [
    CategoriesRepository,
    ProductsRepository,
    ProductListRepository,
    ProductSalesRepository,
    CommitLsnStore,
    BestsellersStore,
    ProductReadsStore,
    ReplicaFreshness,
    CatalogCache,
    ...SERVICES,
  ],
  exports: SERVICES,
})
export class CatalogModule {}
