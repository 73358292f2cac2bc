import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BestsellersController } from './controllers/bestsellers.controller.js';
import { CategoriesController } from './controllers/categories.controller.js';
import { InventoryController } from './controllers/inventory.controller.js';
import { ProductsController } from './controllers/products.controller.js';
import { CategoryEntity } from './entities/category.entity.js';
import { ProductEntity } from './entities/product.entity.js';
import { BestsellersService } from './services/bestsellers.service.js';
import { CatalogCache } from './services/catalog-cache.service.js';
import { CategoryService } from './services/category.service.js';
import { InventoryService } from './services/inventory.service.js';
import { ProductListQuery } from './services/product-list-query.js';
import { ProductLookup } from './services/product-lookup.service.js';
import { ProductReader } from './services/product-reader.service.js';
import { ProductWriter } from './services/product-writer.service.js';
import { ReplicaFreshness } from './services/replica-freshness.service.js';

/**
 * Catalog: categories and products. Other modules use ProductReader (cached product reads),
 * InventoryService (stock inside their own transaction) and BestsellersService (recordSale).
 */
@Module({
  imports: [TypeOrmModule.forFeature([CategoryEntity, ProductEntity])],
  // Bestsellers and inventory before products: static segments must not be taken for an :id.
  controllers: [BestsellersController, InventoryController, ProductsController, CategoriesController],
  providers: [
    ReplicaFreshness,
    CatalogCache,
    ProductListQuery,
    ProductReader,
    ProductLookup,
    ProductWriter,
    CategoryService,
    InventoryService,
    BestsellersService,
  ],
  exports: [ProductReader, ProductLookup, InventoryService, BestsellersService],
})
export class CatalogModule {}
