/** A user signed in (login or register): a session exists and its tokens are about to be returned. */
export interface UserSignedIn {
  userId: string;
  /** As the user typed it (normalize before use). */
  email: string;
  via: 'login' | 'register';
  /** The guest cart token the client sent along, to be merged into the user's cart. */
  guestCartToken?: string;
  /** The request being served, for log lines written on its behalf. */
  requestId?: string;
}

declare module '@app/common/events/domain-events.js' {
  interface DomainEvents {
    'identity.user-signed-in': UserSignedIn;
  }
}
