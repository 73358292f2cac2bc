import { Module } from '@nestjs/common';
import { CatalogModule } from '@app/catalog';
import { BestsellersController } from './controllers/bestsellers.controller.js';
import { CategoriesController } from './controllers/categories.controller.js';
import { InventoryController } from './controllers/inventory.controller.js';
import { ProductsController } from './controllers/products.controller.js';

/** The catalog routes; public GETs answer cached bodies with ETags. */
@Module({
  imports: [CatalogModule],
  // Bestsellers and inventory before products: static segments must not be taken for an :id.
  controllers: [BestsellersController, InventoryController, ProductsController, CategoriesController],
})
export class CatalogHttpModule {}
