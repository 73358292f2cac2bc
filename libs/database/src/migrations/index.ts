import { CreateSchemas1732230000000 } from './1732230000000-create-schemas.js';
import { Identity1732231000000 } from './1732231000000-identity.js';
import { Catalog1732300000000 } from './1732300000000-catalog.js';
import { Outbox1732400000000 } from './1732400000000-outbox.js';
import { Orders1732410000000 } from './1732410000000-orders.js';
import { ProductSales1732420000000 } from './1732420000000-product-sales.js';
import { RefreshTokenSuccessor1732431000000 } from './1732431000000-refresh-token-successor.js';

/** Every migration, in order. Classes (not globs) so the ESM build needs no file scanning. */
export const MIGRATIONS = [
  CreateSchemas1732230000000,
  Identity1732231000000,
  Catalog1732300000000,
  Outbox1732400000000,
  Orders1732410000000,
  ProductSales1732420000000,
  RefreshTokenSuccessor1732431000000,
];
