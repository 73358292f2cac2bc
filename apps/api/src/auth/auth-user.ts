import type { Role } from '@app/identity';

export { ROLES, type Role } from '@app/identity';

/** Who is calling: set on the request by the access-token guard. */
export interface AuthUser {
  id: string;
  role: Role;
  sessionId: string;
}
