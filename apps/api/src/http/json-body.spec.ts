import { JsonSerializer } from '@app/cache';
import { etagMatches, jsonBody, jsonBodyOf } from './json-body.js';

describe('json body and etag', () => {
  it('serializes a shared object once', () => {
    const value = { id: 1 };
    expect(jsonBodyOf(value)).toBe(jsonBodyOf(value));
    expect(jsonBodyOf({ id: 1 })).not.toBe(jsonBodyOf(value));
    expect(jsonBodyOf(value).etag).toBe(jsonBody({ id: 1 }).etag);
  });

  it('sends the text the cache stored for a value it just encoded, without serializing it again', () => {
    let reads = 0;
    const value = {
      get name(): string {
        reads++;
        return 'x';
      },
    };
    const stored = new JsonSerializer().encode(value);
    const afterEncode = reads;
    expect(afterEncode).toBeGreaterThan(0);
    expect(jsonBodyOf(value).json).toBe(stored);
    expect(stored).toBe('{"name":"x"}');
    expect(reads).toBe(afterEncode);
    // A value no serializer encoded is serialized here.
    const other = {
      get name(): string {
        reads++;
        return 'y';
      },
    };
    expect(jsonBodyOf(other).json).toBe('{"name":"y"}');
    expect(reads).toBe(afterEncode + 1);
  });

  it('hashes the serialized body: equal bodies, equal tags; any change, another tag', () => {
    const a = jsonBody({ id: 1, name: 'x' });
    expect(a.json).toBe('{"id":1,"name":"x"}');
    expect(a.etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect(jsonBody({ id: 1, name: 'x' }).etag).toBe(a.etag);
    expect(jsonBody({ id: 1, name: 'y' }).etag).not.toBe(a.etag);
  });

  it('matches If-None-Match with weak comparison, lists and *', () => {
    const tag = '"abc"';
    expect(etagMatches(undefined, tag)).toBe(false);
    expect(etagMatches('"abc"', tag)).toBe(true);
    expect(etagMatches('W/"abc"', tag)).toBe(true);
    expect(etagMatches('"x", W/"abc"', tag)).toBe(true);
    expect(etagMatches(['"x"', '"abc"'], tag)).toBe(true);
    expect(etagMatches('*', tag)).toBe(true);
    expect(etagMatches('"abcd"', tag)).toBe(false);
    expect(etagMatches('abc', tag)).toBe(false);
  });
});
