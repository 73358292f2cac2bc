// What other modules and the apps may use from the catalog.
export { CatalogModule } from './catalog.module.js';
export { ProductReader } from './services/product-reader.service.js';
export { ProductWriter } from './services/product-writer.service.js';
export { ProductLookup } from './services/product-lookup.service.js';
export { CategoryService } from './services/category.service.js';
export { InventoryService } from './services/inventory.service.js';
export { BestsellersService } from './services/bestsellers.service.js';
export { CatalogImportService, type CategoryImport, type ImportResult, type ProductImportItem } from './services/catalog-import.service.js';
export { UnknownProductsError } from './catalog.errors.js';
export * from './catalog.limits.js';
export type * from './catalog.types.js';
export { CATALOG_EVENTS, type ProductDeletedEvent, type StockChangedEvent } from './catalog.events.js';
export { CatalogWarmer } from './services/catalog-warmer.service.js';
