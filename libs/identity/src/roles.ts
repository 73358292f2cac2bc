export type Role = 'customer' | 'admin';

export const ROLES: readonly Role[] = ['customer', 'admin'];
