import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { repoRoot } from '../support/test-env.js';

/** `npm run seed` (the built CLI): a realistic catalog, idempotent. */
describe('seed CLI', () => {
  const seed = (): string =>
    execFileSync(process.execPath, ['dist/apps/cli/src/seed.js'], {
      cwd: repoRoot,
      env: { ...process.env, NODE_OPTIONS: '' },
      encoding: 'utf8',
    });

  it('loads ≥ 8 categories and ≥ 60 products with descriptions, prices and stock; a second run changes nothing', async () => {
    const first = seed();
    expect(first).toMatch(/seed: \d+ categories, \d+ products/);
    const db = new pg.Client({ connectionString: process.env.DB_PRIMARY_URL });
    await db.connect();
    try {
      const snapshot = async () =>
        (
          await db.query(
            `SELECT p.sku, p.name, p.description, p.price_cents, p.stock, p.updated_at, c.slug
             FROM catalog.products p JOIN catalog.categories c ON c.id = p.category_id
             WHERE c.slug IN ('kitchen','coffee-tea','home-office','audio','outdoor','fitness','books','toys-games','bath','lighting')
             ORDER BY p.sku`,
          )
        ).rows as { sku: string; name: string; description: string; price_cents: number; stock: number; slug: string }[];
      const before = await snapshot();
      const categories = new Set(before.map((r) => r.slug));
      expect(categories.size).toBeGreaterThanOrEqual(8);
      expect(before.length).toBeGreaterThanOrEqual(60);
      for (const p of before) {
        expect(p.description.length).toBeGreaterThan(20);
        expect(p.price_cents).toBeGreaterThan(0);
        expect(p.stock).toBeGreaterThanOrEqual(0);
      }
      expect(before.some((p) => p.stock === 0)).toBe(true);
      expect(before.some((p) => p.stock > 0)).toBe(true);

      const second = seed();
      expect(second).toMatch(/\(0 new, 0 updated\)/);
      expect(await snapshot()).toEqual(before);
    } finally {
      await db.end();
    }
  });
});
