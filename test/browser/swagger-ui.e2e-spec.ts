import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { createAdmin, type RegisteredUser } from '../support/auth.js';
import { createTestApp } from '../support/test-app.js';
import { repoRoot } from '../support/test-env.js';

/**
 * The admin path through Swagger UI in a real browser (Debian's headless Chromium, driven by
 * playwright-core): sign in with POST /api/v1/auth/login, paste the access token into "Authorize",
 * then call GET /api/v1/users/me and two admin routes, each with "Try it out" and "Execute", as a
 * person would. It also proves the API's Content-Security-Policy lets Swagger UI run (a violation
 * fails the test). Operations are found by method and path, never by operationId.
 *
 * Screenshots of every step go to test-artifacts/browser/ (ignored by git). Chromium comes from
 * `bash scripts/ensure-tools.sh` (run by `npm test`); without it the test fails, unless
 * SKIP_BROWSER_TESTS=1.
 */

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(repoRoot, 'test-artifacts', 'browser');
const SKIP = process.env.SKIP_BROWSER_TESTS === '1';

const describeBrowser = SKIP ? describe.skip : describe;

describeBrowser('Swagger UI in a browser: the admin path', () => {
  let app: NestFastifyApplication;
  let admin: RegisteredUser;
  let baseUrl: string;
  let profileDir: string | undefined;
  let context: BrowserContext | undefined;
  let page: Page;
  const problems: string[] = [];
  const screenshots: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Swagger UI browser check: ${CHROMIUM} not found. Install Debian's chromium ` +
          `(as root: bash scripts/ensure-tools.sh chromium, which npm test runs), ` +
          `or set SKIP_BROWSER_TESTS=1 to skip this suite.`,
      );
    }
    rmSync(ARTIFACTS, { recursive: true, force: true });
    mkdirSync(ARTIFACTS, { recursive: true });

    app = await createTestApp();
    await app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = await app.getUrl();
    admin = await createAdmin(app);

    profileDir = mkdtempSync(join(tmpdir(), 'swagger-ui-chromium-'));
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1280, height: 1000 },
      timeout: 20_000,
    });
    context.setDefaultTimeout(10_000);
    page = context.pages()[0] ?? (await context.newPage());
    // A CSP violation, a script error or a failed load is a failure of the page, whatever the UI shows.
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()} ${request.failure()?.errorText ?? ''}`));
  }, 45_000);

  afterAll(async () => {
    await context?.close().catch(() => undefined);
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
    await app?.close();
  });

  /** Saves a screenshot of the viewport at the current step and checks the file is there and not empty. */
  async function snap(name: string): Promise<void> {
    const path = join(ARTIFACTS, `${String(screenshots.length + 1).padStart(2, '0')}-${name}.png`);
    await page.screenshot({ path });
    screenshots.push(path);
    expect(statSync(path).size).toBeGreaterThan(0);
  }

  /** The operation block of `method path`, found by its method class and the path it shows. */
  function operation(method: string, path: string): Locator {
    return page
      .locator(`.opblock.opblock-${method.toLowerCase()}`)
      .filter({ has: page.locator(`.opblock-summary-path[data-path="${path}"]`) });
  }

  /** Expands the operation, presses "Try it out" (and fills the JSON body, if given) and "Execute". */
  async function execute(block: Locator, body?: unknown): Promise<void> {
    await block.waitFor({ state: 'visible' });
    expect(await block.count()).toBe(1);
    if (!(await block.evaluate((el) => el.classList.contains('is-open')))) await block.locator('.opblock-summary').first().click();
    const tryOut = block.locator('.try-out__btn');
    await tryOut.click();
    await block.locator('.execute').waitFor({ state: 'visible' });
    if (body !== undefined) await block.locator('textarea.body-param__text').fill(JSON.stringify(body, null, 2));
    await block.locator('.execute').click();
    await block.locator('.live-responses-table .response .response-col_status').first().waitFor({ state: 'visible', timeout: 15_000 });
  }

  /** Status and body text of the live answer shown under the operation (not the documented ones). */
  async function liveResponse(block: Locator): Promise<{ status: string; body: string }> {
    const row = block.locator('.live-responses-table .response').first();
    const status = (await row.locator('.response-col_status').innerText()).trim();
    const body = (await row.locator('.response-col_description .highlight-code pre').first().innerText()).trim();
    return { status, body };
  }

  it('signs in, authorizes with the token and calls the profile and admin routes', async () => {
    // 1. The page loads and lists the operations.
    await page.goto(`${baseUrl}/docs`, { waitUntil: 'load', timeout: 20_000 });
    const login = operation('post', '/api/v1/auth/login');
    await login.waitFor({ state: 'visible', timeout: 15_000 });
    await snap('docs-loaded');

    // 2. POST /api/v1/auth/login with the admin's email and password.
    await execute(login, { email: admin.email, password: admin.password });
    const loginAnswer = await liveResponse(login);
    await login.locator('.live-responses-table').first().scrollIntoViewIfNeeded();
    await snap('login-executed');
    expect(loginAnswer.status).toBe('200');
    const accessToken = (JSON.parse(loginAnswer.body) as { accessToken?: string }).accessToken;
    expect(typeof accessToken).toBe('string');
    expect(accessToken!.split('.')).toHaveLength(3);

    // 3. "Authorize": paste the token into the bearer field, authorize, close.
    await page.locator('.scheme-container .btn.authorize').first().click();
    const modal = page.locator('.dialog-ux .modal-ux');
    await modal.waitFor({ state: 'visible' });
    // The bearer scheme's field (the modal lists one form per security scheme).
    await modal
      .locator('.auth-container')
      .filter({ hasText: /bearer/i })
      .locator('input')
      .first()
      .fill(accessToken!);
    await snap('authorize-token-pasted');
    await modal.locator('button.modal-btn.authorize').first().click();
    await modal.locator('button.modal-btn.btn-done').first().waitFor({ state: 'visible' });
    await snap('authorized');
    await modal.locator('button.modal-btn.btn-done').first().click();
    await modal.waitFor({ state: 'detached' });
    expect(await page.locator('.scheme-container .btn.authorize.locked').count()).toBe(1);

    // 4. GET /api/v1/users/me answers 200 with the admin's profile.
    const me = operation('get', '/api/v1/users/me');
    await execute(me);
    const meAnswer = await liveResponse(me);
    await me.locator('.live-responses-table').first().scrollIntoViewIfNeeded();
    await snap('users-me');
    expect(meAnswer.status).toBe('200');
    expect(meAnswer.body).toContain(admin.email);
    expect(JSON.parse(meAnswer.body)).toMatchObject({ email: admin.email, role: 'admin' });

    // 5. Admin routes: the cache statistics and the user list.
    const stats = operation('get', '/api/v1/admin/cache/stats');
    await execute(stats);
    const statsAnswer = await liveResponse(stats);
    await stats.locator('.live-responses-table').first().scrollIntoViewIfNeeded();
    await snap('admin-cache-stats');
    expect(statsAnswer.status).toBe('200');

    const users = operation('get', '/api/v1/users');
    await execute(users);
    const usersAnswer = await liveResponse(users);
    await users.locator('.live-responses-table').first().scrollIntoViewIfNeeded();
    await snap('admin-users');
    expect(usersAnswer.status).toBe('200');
    expect(usersAnswer.body).toContain(admin.email);

    // Nothing was blocked by the CSP, no script failed, no request failed.
    expect(problems).toEqual([]);
    for (const path of screenshots) expect(statSync(resolve(path)).size).toBeGreaterThan(0);
    expect(screenshots).toHaveLength(7);
  }, 60_000);
});
