import { repoRoot } from '../support/test-env.js';
import { importViolations, productionSources, sqlViolations, type SourceFile } from './source-rules.js';

const file = (path: string, text: string): SourceFile => ({ path, text });

describe('repository layout', () => {
  const sources = productionSources(repoRoot);

  it('finds the sources it checks', () => {
    const paths = sources.map((s) => s.path);
    expect(paths).toEqual(
      expect.arrayContaining(['apps/api/src/main.ts', 'apps/worker/src/main.ts', 'libs/catalog/src/index.ts', 'libs/cache/src/index.ts']),
    );
    expect(paths.some((p) => /\.spec\.ts$/.test(p))).toBe(false);
  });

  it('imports point one way: apps → domain libs → cache, database, common', () => {
    expect(importViolations(sources)).toEqual([]);
  });

  it('no file outside a repository or a migration runs SQL', () => {
    expect(sqlViolations(sources)).toEqual([]);
  });

  describe('the checks themselves catch what they forbid', () => {
    it('flags imports against the direction', () => {
      const problems = importViolations([
        file('libs/cache/src/x.ts', "import { APP_CONFIG } from '@app/common';"),
        file('libs/database/src/x.ts', "import { CatalogModule } from '@app/catalog';"),
        file('libs/catalog/src/x.ts', "import { createApp } from '../../../apps/api/src/app.factory.js';"),
        file('libs/cart/src/x.ts', "import { CatalogCache } from '@app/catalog/services/catalog-cache.service.js';"),
        file('libs/cart/src/y.ts', "import type { FastifyReply } from 'fastify';\nimport { ApiProperty } from '@nestjs/swagger';"),
        file('libs/identity/src/x.ts', "import { Injectable, NotFoundException } from '@nestjs/common';"),
        file('apps/api/src/x.ts', "import { WorkerModule } from '../../worker/src/worker.module.js';"),
        file('apps/worker/src/x.ts', "import { ProductsRepository } from '@app/catalog/repositories/products.repository.js';"),
      ]);
      expect(problems).toHaveLength(9);
      for (const path of [
        'libs/cache',
        'libs/database',
        'libs/catalog',
        'libs/cart/src/x',
        'libs/cart/src/y',
        'libs/identity',
        'apps/api',
        'apps/worker',
      ]) {
        expect(problems.some((p) => p.startsWith(path))).toBe(true);
      }
    });

    it('accepts the allowed directions', () => {
      expect(
        importViolations([
          file(
            'libs/cart/src/x.ts',
            "import { ProductLookup } from '@app/catalog';\nimport { UnavailableError } from '@app/common';\nimport { KeyBuilder } from '@app/cache';",
          ),
          file(
            'libs/catalog/src/x.ts',
            "import { Transactions } from '@app/database';\nimport { Injectable } from '@nestjs/common';\nimport { y } from './y.js';",
          ),
          file('libs/database/src/x.ts', "import { APP_CONFIG } from '@app/common';"),
          file(
            'apps/api/src/x.ts',
            "import { CartService } from '@app/cart';\nimport { ApiProperty } from '@nestjs/swagger';\nimport { CacheService } from '@app/cache';",
          ),
        ]),
      ).toEqual([]);
    });

    it('flags SQL outside repositories, not in comments, repositories or migrations', () => {
      const problems = sqlViolations([
        file('libs/catalog/src/services/a.service.ts', "await this.dataSource.query('SELECT 1');"),
        file('libs/catalog/src/services/b.service.ts', 'const sql = `UPDATE catalog.products SET stock = 0`;'),
        file('apps/api/src/c.ts', 'await manager.insert(UserEntity, { id });'),
        file('libs/identity/src/d.ts', "return ds.createQueryBuilder(X, 'x').getMany();"),
        file(
          'libs/catalog/src/services/ok.service.ts',
          '// one guarded `UPDATE catalog.products SET stock = stock - 1` per line\nconst x = 1;',
        ),
        file('libs/catalog/src/repositories/products.repository.ts', "await manager.query('SELECT 1');"),
        file('libs/database/src/migrations/1-x.ts', "await runner.query('CREATE TABLE x ()');"),
      ]);
      expect(problems.map((p) => p.split(' ')[0])).toEqual([
        'libs/catalog/src/services/a.service.ts',
        'libs/catalog/src/services/b.service.ts',
        'apps/api/src/c.ts',
        'libs/identity/src/d.ts',
      ]);
    });
  });
});
