/** Bounds shared by the HTTP DTOs and the services (Postgres integer columns are int4). */
export { LIMIT_MAX, PAGE_MAX } from '@app/common';
export const INT4_MAX = 2_147_483_647;
export const STOCK_MAX = 1_000_000_000;
export const DELTA_MAX = 1_000_000_000;
export const SKU_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const SLUG_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const PRODUCT_SORTS = ['name', '-name', 'price', '-price', 'createdAt', '-createdAt'] as const;
export type ProductSort = (typeof PRODUCT_SORTS)[number];
export const DEFAULT_SORT: ProductSort = '-createdAt';
/** Postgres text cannot hold NUL characters: such input is refused before it reaches the database. */
// eslint-disable-next-line no-control-regex -- matching NUL is the point
export const NO_NUL = /^[^\u0000]*$/;
export const NO_NUL_MESSAGE = 'must not contain NUL characters';
