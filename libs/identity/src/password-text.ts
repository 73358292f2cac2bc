import { InvalidInputError } from '@app/common';

// With the u flag a regex reads code points, so a surrogate pair is one astral code point and only
// an unpaired surrogate matches the Surrogate category.
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Whether the string has a UTF-8 form. Passwords are hashed as UTF-8, and an encoder replaces each
 * unpaired surrogate with U+FFFD: 'a\ud800b' and 'a\udbffb' would be the same password.
 */
export function isWellFormedText(value: string): boolean {
  return !LONE_SURROGATE.test(value);
}

/** Throws an 'invalid' domain error naming `field` when `value` has an unpaired surrogate. */
export function assertWellFormedPassword(field: string, value: string): void {
  if (!isWellFormedText(value)) throw new InvalidInputError([`${field}: must be well-formed Unicode (no unpaired surrogate code points)`]);
}
