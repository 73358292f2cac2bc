import { CreateSchemas1732230000000 } from './1732230000000-create-schemas.js';

/** Every migration, in order. Classes (not globs) so the ESM build needs no file scanning. */
export const MIGRATIONS = [CreateSchemas1732230000000];
