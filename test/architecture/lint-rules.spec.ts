import { join } from 'node:path';
import { ESLint } from 'eslint';
import { repoRoot } from '../support/test-env.js';

/**
 * eslint.config.js's import direction (no-restricted-imports), shown to catch what it forbids:
 * snippets linted as the text of a real file of the folder (so the type-aware project service knows
 * the file), through one ESLint instance.
 */
describe('ESLint import-direction rules', () => {
  const eslint = new ESLint({ cwd: repoRoot });

  async function lint(path: string, code: string): Promise<ESLint.LintResult> {
    const [result] = await eslint.lintText(code, { filePath: join(repoRoot, path) });
    // A file the config ignores or cannot parse would pass the "accepted" case for nothing.
    expect(result.messages.filter((m) => m.fatal)).toEqual([]);
    return result;
  }

  const restricted = (result: ESLint.LintResult) => result.messages.filter((m) => m.ruleId === 'no-restricted-imports');

  it.each([
    ['libs/cache reaching libs/common', 'libs/cache/src/index.ts', "import { APP_CONFIG } from '@app/common';\nexport { APP_CONFIG };\n"],
    [
      'a domain library reaching into another past its index',
      'libs/cart/src/index.ts',
      "import { CatalogCache } from '@app/catalog/services/x.js';\nexport { CatalogCache };\n",
    ],
    [
      'a domain library using fastify',
      'libs/cart/src/index.ts',
      "import type { FastifyReply } from 'fastify';\nexport type Reply = FastifyReply;\n",
    ],
    [
      'libs/identity using the job queues',
      'libs/identity/src/index.ts',
      "import { JobsModule } from '@app/jobs';\nexport { JobsModule };\n",
    ],
    [
      'apps/api importing the worker app',
      'apps/api/src/main.ts',
      "import { WorkerModule } from '../../worker/src/worker.module.js';\nexport { WorkerModule };\n",
    ],
  ])(
    'flags %s',
    async (_case, path, code) => {
      const result = await lint(path, code);
      expect(restricted(result)).toHaveLength(1);
    },
    60_000,
  );

  it('accepts a domain library using another through its index', async () => {
    const result = await lint('libs/cart/src/index.ts', "import { ProductLookup } from '@app/catalog';\nexport { ProductLookup };\n");
    expect(restricted(result)).toEqual([]);
  }, 60_000);
});
