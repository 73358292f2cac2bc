import { BadRequestException, ParseUUIDPipe, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { ClientInfo } from '../services/session-service.js';

/** The caller's user agent and IP (behind a proxy: from X-Forwarded-For, see trustProxy), and the request id. */
export const Client = createParamDecorator((_data: unknown, ctx: ExecutionContext): ClientInfo => {
  const request = ctx.switchToHttp().getRequest<FastifyRequest>();
  const ua = request.headers['user-agent'];
  return { userAgent: typeof ua === 'string' ? ua : null, ip: request.ip ?? null, requestId: request.id };
});

/** `:id` path parameters: a malformed UUID is a 400 naming the parameter. */
export const UuidParam = new ParseUUIDPipe({ exceptionFactory: () => new BadRequestException(['id: must be a UUID']) });
