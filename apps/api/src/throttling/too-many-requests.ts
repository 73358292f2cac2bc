import { HttpException, HttpStatus } from '@nestjs/common';

/** The 429 of every limit: the contract error body, and `Retry-After` (seconds, at least 1) set by the error answer. */
export class TooManyRequests extends HttpException {
  readonly retryAfterSeconds: number;

  constructor(retryAfterSeconds: number) {
    const retryAfter = Math.max(1, Math.ceil(retryAfterSeconds));
    super(`Too many requests; retry in ${retryAfter} s`, HttpStatus.TOO_MANY_REQUESTS);
    this.retryAfterSeconds = retryAfter;
  }
}
