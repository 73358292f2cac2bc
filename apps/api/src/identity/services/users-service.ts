import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { CacheService, type CacheAside } from '@app/cache';
import { DataSource } from 'typeorm';
import type { Role } from '../../common/auth/index.js';
import { UserEntity } from '../entities/user.entity.js';
import { normalizeEmail } from '../throttling/login-throttle.js';
import { PasswordHasher } from './password-hasher.js';
import { SessionService } from './session-service.js';

/** A user as every other module and every response sees it: never a password hash. */
export interface UserView {
  id: string;
  email: string;
  name: string;
  role: Role;
  createdAt: Date;
}

export interface UserPage {
  items: UserView[];
  total: number;
  page: number;
  limit: number;
}

export interface ProfileChange {
  name?: string;
  password?: string;
  currentPassword?: string;
}

const PROFILES = 'users';
const PROFILE_TTL_MS = 5 * 60_000;

/** Users: sign-up records, profiles, roles. The only owner of identity.users. */
@Injectable()
export class UsersService {
  private readonly profiles: CacheAside;
  // An L1 hit hands back the same decoded object each time: its view (createdAt as a Date) and JSON
  // body are built once per cached object, not per request. Shared, hence frozen.
  private readonly views = new WeakMap<UserView, { view: UserView; json: string }>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly cache: CacheService,
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionService,
  ) {
    this.profiles = cache.namespace(PROFILES);
  }

  /** Creates a customer; a taken email (case-insensitively) is a 409. */
  async create(input: { email: string; password: string; name: string }): Promise<UserView> {
    const passwordHash = await this.hasher.hash(input.password);
    try {
      const [row] = (await this.dataSource.query(
        `INSERT INTO identity.users (email, password_hash, name) VALUES ($1, $2, $3)
         RETURNING id, email, name, role, created_at`,
        [normalizeEmail(input.email), passwordHash, input.name],
      )) as UserRow[];
      return toView(row!);
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictException('email: is already registered');
      throw error;
    }
  }

  /** The user with this email and password, or null (same cost whether or not the email exists). */
  async verifyCredentials(email: string, password: string): Promise<UserView | null> {
    const user = await this.dataSource
      .getRepository(UserEntity)
      .createQueryBuilder('u')
      .addSelect('u.passwordHash')
      .where('lower(u.email) = :email', { email: normalizeEmail(email) })
      .getOne();
    if (!user) return this.hasher.verifyDummy(password).then(() => null);
    return (await this.hasher.verify(user.passwordHash, password)) ? pick(user) : null;
  }

  /** The profile (cached; invalidated on every change). 404 when the user does not exist. */
  async get(id: string): Promise<UserView> {
    return this.viewOf(await this.cachedProfile(id)).view;
  }

  /** The profile as its JSON response body (`GET /users/me`), serialized once per cached profile. */
  async getJson(id: string): Promise<string> {
    return this.viewOf(await this.cachedProfile(id)).json;
  }

  private async cachedProfile(id: string): Promise<UserView> {
    const cached = await this.profiles.getOrLoad<UserView | null>(id, () => this.load(id), { ttl: PROFILE_TTL_MS });
    if (!cached) throw new NotFoundException('User not found');
    return cached;
  }

  private viewOf(cached: UserView): { view: UserView; json: string } {
    let built = this.views.get(cached);
    if (built === undefined) {
      const view = Object.freeze({ ...cached, createdAt: new Date(cached.createdAt) });
      this.views.set(cached, (built = { view, json: JSON.stringify(view) }));
    }
    return built;
  }

  async list(page: number, limit: number): Promise<UserPage> {
    const [users, total] = await this.dataSource
      .getRepository(UserEntity)
      .createQueryBuilder('u')
      .orderBy('u.created_at', 'DESC')
      .addOrderBy('u.id', 'ASC')
      .skip((page - 1) * limit)
      .take(limit)
      .getManyAndCount();
    return { items: users.map(pick), total, page, limit };
  }

  /**
   * Name and/or password. A password change needs the current password and revokes every other
   * session of the user (in the same transaction as the new hash; effective at once everywhere).
   */
  async updateProfile(id: string, currentSessionId: string, change: ProfileChange): Promise<UserView> {
    let passwordHash: string | undefined;
    if (change.password !== undefined) {
      if (!change.currentPassword) throw new BadRequestException(['currentPassword: is required to change the password']);
      const stored = await this.dataSource.query('SELECT password_hash FROM identity.users WHERE id = $1', [id]);
      if (!stored[0]) throw new NotFoundException('User not found');
      if (!(await this.hasher.verify(stored[0].password_hash, change.currentPassword))) {
        throw new BadRequestException(['currentPassword: is incorrect']);
      }
      passwordHash = await this.hasher.hash(change.password);
    }
    const revoked = await this.dataSource.transaction(async (manager) => {
      const sets: string[] = [];
      const params: unknown[] = [id];
      if (change.name !== undefined) sets.push(`name = $${params.push(change.name)}`);
      if (passwordHash !== undefined) sets.push(`password_hash = $${params.push(passwordHash)}`);
      if (sets.length) {
        const [, count] = (await manager.query(`UPDATE identity.users SET ${sets.join(', ')}, updated_at = now() WHERE id = $1`, params)) as [unknown, number];
        if (count === 0) throw new NotFoundException('User not found');
      }
      return passwordHash ? this.sessions.revokeOthersIn(manager, id, currentSessionId, 'password-change') : [];
    });
    if (revoked.length) await this.sessions.forget(revoked);
    await this.forgetProfile(id);
    return this.get(id);
  }

  /** Sets a user's role (admin route, admin CLI); takes effect on the user's live sessions at once. */
  async setRole(id: string, role: Role): Promise<UserView> {
    const [rows] = (await this.dataSource.query(
      'UPDATE identity.users SET role = $2, updated_at = now() WHERE id = $1 RETURNING id, email, name, role, created_at',
      [id, role],
    )) as [UserRow[], number];
    if (!rows[0]) throw new NotFoundException('User not found');
    await Promise.all([this.forgetProfile(id), this.sessions.forgetUser(id)]);
    return toView(rows[0]);
  }

  private async load(id: string): Promise<UserView | null> {
    const rows: UserRow[] = await this.dataSource.query('SELECT id, email, name, role, created_at FROM identity.users WHERE id = $1', [id]);
    return rows[0] ? toView(rows[0]) : null;
  }

  private async forgetProfile(id: string): Promise<void> {
    await this.cache.invalidator.invalidateKey(PROFILES, id);
  }
}

interface UserRow {
  id: string;
  email: string;
  name: string;
  role: Role;
  created_at: Date;
}

function toView(row: UserRow): UserView {
  return { id: row.id, email: row.email, name: row.name, role: row.role, createdAt: new Date(row.created_at) };
}

function pick(user: UserEntity): UserView {
  return { id: user.id, email: user.email, name: user.name, role: user.role, createdAt: user.createdAt };
}

function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; driverError?: { code?: string } };
  return (e?.driverError?.code ?? e?.code) === '23505';
}
