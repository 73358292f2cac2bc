/** Deep pages are a scan; no client needs page 100,000 of anything. */
export const PAGE_MAX = 100_000;
export const LIMIT_MAX = 100;
