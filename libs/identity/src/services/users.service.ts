import { Injectable } from '@nestjs/common';
import { CacheService, type CacheAside } from '@app/cache';
import { ConflictError, InvalidInputError, NotFoundError } from '@app/common';
import { PG, Transactions, withPgErrors } from '@app/database';
import { normalizeEmail } from '../email.js';
import { IncorrectPasswordError } from '../identity.errors.js';
import type { ProfileChange, UserPage, UserView } from '../identity.types.js';
import { assertWellFormedPassword } from '../password-text.js';
import { UsersRepository } from '../repositories/users.repository.js';
import type { Role } from '../roles.js';
import { PasswordHasher } from './password-hasher.service.js';
import { SessionService } from './session.service.js';

const PROFILES = 'users';
const PROFILE_TTL_MS = 5 * 60_000;
const EMAIL_TAKEN = [{ code: PG.uniqueViolation, error: () => new ConflictError('email: is already registered') }] as const;

/** Users: sign-up records, profiles, roles. The only owner of identity.users. */
@Injectable()
export class UsersService {
  private readonly profiles: CacheAside;
  // An L1 hit hands back the same decoded object each time: its view (createdAt as a Date) is built
  // once per cached object, not per request, and is the same object each time (callers may key
  // their own per-object work on it). Shared, hence frozen.
  private readonly views = new WeakMap<UserView, Readonly<UserView>>();

  constructor(
    private readonly cache: CacheService,
    private readonly transactions: Transactions,
    private readonly repository: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionService,
  ) {
    this.profiles = cache.namespace(PROFILES);
  }

  /**
   * Creates a customer; a taken email (case-insensitively) is a conflict.
   *
   * A taken email is answered before any hashing: a hash costs 19 MiB and tens of ms of a libuv
   * thread, and spending it on a request that cannot succeed would let anyone burn CPU with one
   * known address. The trade-off: a 409 comes back faster than a 201 would have, so timing tells
   * whether an email is registered. That reveals nothing the 409 itself does not (the contract
   * answers 409 for a taken email); registrations are rate limited per IP, which bounds both.
   * A registration racing for the same email still gets its 409 from the unique index.
   */
  async create(input: { email: string; password: string; name: string }): Promise<UserView> {
    assertWellFormedPassword('password', input.password);
    const email = normalizeEmail(input.email);
    if (await this.repository.findIdByEmail(email)) throw EMAIL_TAKEN[0].error();
    const passwordHash = await this.hasher.hash(input.password);
    return withPgErrors(EMAIL_TAKEN, () => this.repository.insert(email, passwordHash, input.name));
  }

  /** The id of the user with this email, if any. */
  findIdByEmail(email: string): Promise<string | null> {
    return this.repository.findIdByEmail(normalizeEmail(email));
  }

  /** The user with this email and password, or null (same cost whether or not the email exists). */
  async verifyCredentials(email: string, password: string): Promise<UserView | null> {
    assertWellFormedPassword('password', password);
    const found = await this.repository.findWithPasswordByEmail(normalizeEmail(email));
    if (!found) return this.hasher.verifyDummy(password).then(() => null);
    return (await this.hasher.verify(found.passwordHash, password)) ? found.user : null;
  }

  /** The profile (cached; invalidated on every change), frozen and shared per cached entry. */
  async get(id: string): Promise<Readonly<UserView>> {
    const cached = await this.profiles.getOrLoad<UserView | null>(id, () => this.repository.findById(id), { ttl: PROFILE_TTL_MS });
    if (!cached) throw new NotFoundError('User not found');
    let view = this.views.get(cached);
    if (view === undefined) this.views.set(cached, (view = Object.freeze({ ...cached, createdAt: new Date(cached.createdAt) })));
    return view;
  }

  async list(page: number, limit: number): Promise<UserPage> {
    const { items, total } = await this.repository.page(page, limit);
    return { items, total, page, limit };
  }

  /**
   * Name and/or password. A password change needs the current password and revokes every other
   * session of the user (in the same transaction as the new hash; effective at once everywhere).
   */
  async updateProfile(id: string, currentSessionId: string, change: ProfileChange): Promise<UserView> {
    let passwordHash: string | undefined;
    if (change.currentPassword !== undefined) assertWellFormedPassword('currentPassword', change.currentPassword);
    if (change.password !== undefined) {
      assertWellFormedPassword('password', change.password);
      if (!change.currentPassword) throw new InvalidInputError(['currentPassword: is required to change the password']);
      const stored = await this.repository.findPasswordHash(id);
      if (stored === null) throw new NotFoundError('User not found');
      if (!(await this.hasher.verify(stored, change.currentPassword))) throw new IncorrectPasswordError();
      passwordHash = await this.hasher.hash(change.password);
    }
    await this.transactions.run(async (tx) => {
      if (!(await this.repository.updateProfile(id, { name: change.name, passwordHash }, tx.manager)))
        throw new NotFoundError('User not found');
      if (passwordHash) await this.sessions.revokeOthers(tx, id, currentSessionId, 'password-change');
      tx.afterCommit(() => this.forgetProfile(id));
    });
    return this.get(id);
  }

  /** Sets a user's role (admin route, admin CLI); takes effect on the user's live sessions at once. */
  async setRole(id: string, role: Role): Promise<UserView> {
    const user = await this.repository.setRole(id, role);
    if (!user) throw new NotFoundError('User not found');
    await Promise.all([this.forgetProfile(id), this.sessions.forgetUser(id)]);
    return user;
  }

  private async forgetProfile(id: string): Promise<void> {
    await this.cache.invalidator.invalidateKey(PROFILES, id);
  }
}
