import type { IncomingMessage } from 'node:http';

/** Node's HTTP parser as far as this file uses it: its callbacks are stored under numeric slots. */
type ParserSlots = Record<number, unknown>;

/**
 * The rest of a request body that will never be read (the request was refused before its body:
 * 413 on its Content-Length, 415) is no longer copied into Buffers on its way through Node's HTTP
 * parser.
 *
 * Node keeps reading such a body until the connection closes (so the client can read the refusal
 * before the socket goes) and its parser copies every chunk into a new Buffer for a request nobody
 * reads. Those copies are memory outside V8's heap; at a few hundred MB a second (clients sending
 * large bodies in a loop) they trigger a full garbage collection ten times a second, each pausing
 * every other request for several ms. The parser skips the copy when its body callback is not a
 * function, still counting the body's bytes: clearing that slot makes the rest of the body cost a
 * read into the parser's shared buffer and nothing else.
 *
 * Only for a connection that closes after the response (parsers are pooled across connections):
 * the callback is put back when the socket closes, before the parser serves another connection.
 * Returns whether the body is skipped; false (nothing changed) when the parser does not look as
 * expected.
 */
export function skipUnreadBody(raw: IncomingMessage): boolean {
  const socket = raw.socket as (IncomingMessage['socket'] & { parser?: ParserSlots | null }) | null;
  const parser = socket?.parser;
  if (!socket || !parser || socket.destroyed) return false;
  const slot = (Object.getPrototypeOf(parser) as { constructor?: { kOnBody?: unknown } }).constructor?.kOnBody;
  if (typeof slot !== 'number') return false;
  const onBody = parser[slot];
  if (typeof onBody !== 'function') return false;
  parser[slot] = null;
  socket.once('close', () => {
    parser[slot] = onBody;
  });
  return true;
}
