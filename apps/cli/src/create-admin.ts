import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, loadEnvFile } from '@app/common';
import { AdminBootstrap } from '@app/identity';
import { CliModule } from './cli.module.js';

const USAGE = 'usage: npm run admin:create -- --email <email> --password <password> [--name <name>]';
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * `npm run admin:create -- --email E --password P [--name N]`: creates the user as admin, or
 * promotes the existing user with that email (its password is then left unchanged). Idempotent.
 */
async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { email: { type: 'string' }, password: { type: 'string' }, name: { type: 'string', default: 'Administrator' } },
    strict: true,
  });
  const email = values.email?.trim().toLowerCase();
  const { password, name } = values;
  const problems = [
    !email || !EMAIL.test(email) ? '--email: must be an email address' : null,
    !password || password.length < 8 ? '--password: must be at least 8 characters' : null,
    password && password.length > 128 ? '--password: must be at most 128 characters' : null,
    !name?.trim() || name.length > 100 ? '--name: must be 1 to 100 characters' : null,
  ].filter((p): p is string => p !== null);
  if (problems.length) {
    console.error([...problems, USAGE].join('\n'));
    return 2;
  }

  loadEnvFile();
  const config = loadConfig();
  const app = await NestFactory.createApplicationContext(CliModule.forRoot(config, 'admin-cli'), {
    logger: ['error', 'warn'],
    abortOnError: false,
  });
  try {
    const { user, created } = await app.get(AdminBootstrap).ensureAdmin({ email: email!, password: password!, name: name.trim() });
    console.log(
      created
        ? `admin created: ${user.email} (${user.id})`
        : `existing user promoted to admin: ${user.email} (${user.id}); password unchanged`,
    );
    return 0;
  } finally {
    await app.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof ConfigError ? error.message : `admin:create failed: ${(error as Error)?.message ?? error}`);
    process.exit(1);
  },
);
