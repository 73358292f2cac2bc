export type Role = 'customer' | 'admin';

export const ROLES: readonly Role[] = ['customer', 'admin'];

/** Who is calling: set on the request by the access-token guard. */
export interface AuthUser {
  id: string;
  role: Role;
  sessionId: string;
}
