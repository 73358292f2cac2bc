import { ConflictException, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { normalizeEmail } from '../throttling/login-throttle.js';
import { UsersService, type UserView } from './users-service.js';

/** The first admin (`npm run admin:create`): creates the user as admin, or promotes an existing one. */
@Injectable()
export class AdminBootstrap {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
  ) {}

  /** Idempotent. An existing user keeps its password. */
  async ensureAdmin(input: { email: string; password: string; name: string }): Promise<{ user: UserView; created: boolean }> {
    const existing: { id: string }[] = await this.dataSource.query('SELECT id FROM identity.users WHERE lower(email) = $1', [normalizeEmail(input.email)]);
    if (existing[0]) return { user: await this.users.setRole(existing[0].id, 'admin'), created: false };
    try {
      const user = await this.users.create(input);
      return { user: await this.users.setRole(user.id, 'admin'), created: true };
    } catch (error) {
      if (!(error instanceof ConflictException)) throw error;
      return this.ensureAdmin(input); // registered concurrently: promote that user
    }
  }
}
