/**
 * What a domain service can fail with. Services throw these (never HTTP exceptions); the HTTP edge
 * maps each kind to a status code in one place, and the worker treats them as permanent failures.
 * `message` is safe to show to a client: it names fields or ids, never SQL or Redis text.
 */
export type DomainErrorKind = 'invalid' | 'unauthenticated' | 'forbidden' | 'not-found' | 'conflict' | 'unprocessable' | 'unavailable';

export abstract class DomainError extends Error {
  abstract readonly kind: DomainErrorKind;
  /** One message, or one per offending field (`field: problem`). */
  readonly messages: string | string[];

  constructor(messages: string | string[]) {
    super(Array.isArray(messages) ? messages.join('; ') : messages);
    this.messages = messages;
    this.name = new.target.name;
  }
}

/** The input breaks a rule the DTO could not check (a duplicate id, a cycle): name the field. */
export class InvalidInputError extends DomainError {
  readonly kind = 'invalid';
  constructor(fieldMessages: string[]) {
    super(fieldMessages);
  }
}

/** Wrong credentials or an unusable token. */
export class UnauthenticatedError extends DomainError {
  readonly kind = 'unauthenticated';
}

/** The caller is known but may not do this. */
export class ForbiddenError extends DomainError {
  readonly kind = 'forbidden';
}

export class NotFoundError extends DomainError {
  readonly kind = 'not-found';
}

/** The request clashes with the current state (a taken slug, a category still in use). */
export class ConflictError extends DomainError {
  readonly kind = 'conflict';
}

/** Not enough stock for every named product; nothing was taken. */
export class InsufficientStockError extends ConflictError {
  constructor(readonly productIds: string[]) {
    super(`insufficient stock for product(s) ${productIds.join(', ')}`);
  }
}

/** Well-formed but against a business limit (a cart line above 100 units). */
export class UnprocessableError extends DomainError {
  readonly kind = 'unprocessable';
}

/** A dependency the operation cannot do without is unreachable; the client may retry. */
export class UnavailableError extends DomainError {
  readonly kind = 'unavailable';
  constructor(
    message: string,
    readonly retryAfterSeconds = 5,
  ) {
    super(message);
  }
}
