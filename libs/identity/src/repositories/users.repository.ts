import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { UserEntity } from '../entities/user.entity.js';
import type { UserView } from '../identity.types.js';
import type { Role } from '../roles.js';

interface UserRow {
  id: string;
  email: string;
  name: string;
  role: Role;
  created_at: Date;
}

const toView = (row: UserRow): UserView => ({
  id: row.id,
  email: row.email,
  name: row.name,
  role: row.role,
  createdAt: new Date(row.created_at),
});
const fromEntity = (u: UserEntity): UserView => ({ id: u.id, email: u.email, name: u.name, role: u.role, createdAt: u.createdAt });

/** identity.users: the only code that reads or writes it. Emails arrive normalized. */
@Injectable()
export class UsersRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Throws the database's unique violation for a taken email (the service translates it). */
  async insert(email: string, passwordHash: string, name: string, manager: EntityManager = this.dataSource.manager): Promise<UserView> {
    const [row] = await manager.query<UserRow[]>(
      `INSERT INTO identity.users (email, password_hash, name) VALUES ($1, $2, $3)
       RETURNING id, email, name, role, created_at`,
      [email, passwordHash, name],
    );
    return toView(row);
  }

  async findById(id: string, manager: EntityManager = this.dataSource.manager): Promise<UserView | null> {
    const rows = await manager.query<UserRow[]>('SELECT id, email, name, role, created_at FROM identity.users WHERE id = $1', [id]);
    return rows[0] ? toView(rows[0]) : null;
  }

  async findIdByEmail(email: string, manager: EntityManager = this.dataSource.manager): Promise<string | null> {
    const rows = await manager.query<{ id: string }[]>('SELECT id FROM identity.users WHERE lower(email) = $1', [email]);
    return rows[0]?.id ?? null;
  }

  /** The user with its password hash, for a credentials check. */
  async findWithPasswordByEmail(
    email: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<{ user: UserView; passwordHash: string } | null> {
    const user = await manager
      .getRepository(UserEntity)
      .createQueryBuilder('u')
      .addSelect('u.passwordHash')
      .where('lower(u.email) = :email', { email })
      .getOne();
    return user ? { user: fromEntity(user), passwordHash: user.passwordHash } : null;
  }

  async findPasswordHash(id: string, manager: EntityManager = this.dataSource.manager): Promise<string | null> {
    const rows = await manager.query<{ password_hash: string }[]>('SELECT password_hash FROM identity.users WHERE id = $1', [id]);
    return rows[0]?.password_hash ?? null;
  }

  /** Newest first. */
  async page(page: number, limit: number, manager: EntityManager = this.dataSource.manager): Promise<{ items: UserView[]; total: number }> {
    const [users, total] = await manager
      .getRepository(UserEntity)
      .createQueryBuilder('u')
      .orderBy('u.created_at', 'DESC')
      .addOrderBy('u.id', 'ASC')
      .skip((page - 1) * limit)
      .take(limit)
      .getManyAndCount();
    return { items: users.map(fromEntity), total };
  }

  /** Sets the given fields; false when the user does not exist. */
  async updateProfile(
    id: string,
    change: { name?: string; passwordHash?: string },
    manager: EntityManager = this.dataSource.manager,
  ): Promise<boolean> {
    const sets: string[] = [];
    const params: unknown[] = [id];
    if (change.name !== undefined) sets.push(`name = $${params.push(change.name)}`);
    if (change.passwordHash !== undefined) sets.push(`password_hash = $${params.push(change.passwordHash)}`);
    if (!sets.length) return true;
    const [, count] = await manager.query<[unknown, number]>(
      `UPDATE identity.users SET ${sets.join(', ')}, updated_at = now() WHERE id = $1`,
      params,
    );
    return count > 0;
  }

  async setRole(id: string, role: Role, manager: EntityManager = this.dataSource.manager): Promise<UserView | null> {
    const [rows] = await manager.query<[UserRow[], number]>(
      'UPDATE identity.users SET role = $2, updated_at = now() WHERE id = $1 RETURNING id, email, name, role, created_at',
      [id, role],
    );
    return rows[0] ? toView(rows[0]) : null;
  }
}
