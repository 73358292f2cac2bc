import { HttpException, HttpStatus } from '@nestjs/common';
import type { FastifyReply } from 'fastify';

/** The 429 of every limit: `Retry-After` (seconds, at least 1) and the contract error body. */
export function tooManyRequests(reply: FastifyReply, retryAfterSeconds: number): HttpException {
  const retryAfter = Math.max(1, Math.ceil(retryAfterSeconds));
  void reply.header('Retry-After', String(retryAfter));
  return new HttpException(`Too many requests; retry in ${retryAfter} s`, HttpStatus.TOO_MANY_REQUESTS);
}
