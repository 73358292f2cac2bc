import { Injectable } from '@nestjs/common';
import { ConflictError } from '@app/common';
import type { UserView } from '../identity.types.js';
import { UsersService } from './users.service.js';

/** The first admin (`npm run admin:create`): creates the user as admin, or promotes an existing one. */
@Injectable()
export class AdminBootstrap {
  constructor(private readonly users: UsersService) {}

  /** Idempotent. An existing user keeps its password. */
  async ensureAdmin(input: { email: string; password: string; name: string }): Promise<{ user: UserView; created: boolean }> {
    const existing = await this.users.findIdByEmail(input.email);
    if (existing) return { user: await this.users.setRole(existing, 'admin'), created: false };
    try {
      const user = await this.users.create(input);
      return { user: await this.users.setRole(user.id, 'admin'), created: true };
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      return this.ensureAdmin(input); // registered concurrently: promote that user
    }
  }
}
