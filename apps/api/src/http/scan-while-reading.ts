import { BadRequestException } from '@nestjs/common';
import type { preParsingHookHandler } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { pipeline, Transform, type TransformCallback } from 'node:stream';
import type { BodyLimits } from './body-parsers.js';
import { StructureScan } from './structure-scan.js';
import { skipUnreadBody } from './unread-body.js';

/** Requests whose JSON body was checked as it arrived: the JSON parser does not scan it again. */
const scanned = new WeakSet<IncomingMessage>();

export function scannedWhileRead(raw: IncomingMessage): boolean {
  return scanned.has(raw);
}

/** The media types Fastify gives to the JSON parser (parameters such as charset allowed). */
const JSON_TYPE = /^application\/json\s*(?:;|$)/i;

/**
 * A preParsing hook for the routes that take large bodies (@BodyLimit): the structure of a JSON
 * body (depth, keys per object) is checked chunk by chunk as it arrives, instead of once the whole
 * body is in memory. A body refused on its first chunk no longer costs its full size in Buffers,
 * their concatenation and a second scan: hundreds of KB of memory outside the heap per request,
 * which under a stream of such bodies set off full garbage collections that paused every request.
 *
 * After a refusal the rest of the body is read without being copied (skipUnreadBody) and the 400
 * goes out once it has all arrived: a client still sending is not cut off before it reads the
 * answer. Fastify closes the connection after any refused body.
 */
export function scanWhileReading(limits: BodyLimits): preParsingHookHandler {
  return (request, _reply, payload, done) => {
    if (!JSON_TYPE.test(request.headers['content-type'] ?? '')) return done(null, payload);
    const scan = new StructureScan(limits);
    let problem: string | null = null;
    const checked = new Transform({
      transform(chunk: Buffer, _encoding, next: TransformCallback) {
        if (problem !== null) return next();
        problem = scan.push(chunk);
        if (problem === null) return next(null, chunk);
        skipUnreadBody(request.raw);
        next();
      },
      flush(next: TransformCallback) {
        if (problem !== null) return next(new BadRequestException([problem]));
        scanned.add(request.raw);
        next();
      },
    });
    // Errors of the request stream (a client that went away) reach Fastify's reader through `checked`.
    done(
      null,
      pipeline(payload, checked, () => undefined),
    );
  };
}
