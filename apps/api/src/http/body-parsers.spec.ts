import fc from 'fast-check';
import { BODY_LIMITS, stringProblems, type BodyLimits } from './body-parsers.js';
import { StructureScan, structureProblem } from './structure-scan.js';

const limits: BodyLimits = { maxDepth: 4, maxKeys: 3, maxStringLength: 10 };

describe('body structure scan', () => {
  it('refuses nesting deeper than the limit, objects and arrays alike', () => {
    expect(structureProblem('{"a":{"b":[{"c":1}]}}', limits)).toBeNull();
    expect(structureProblem('{"a":{"b":[{"c":[1]}]}}', limits)).toBe('a.b.0.c: is nested deeper than 4 levels');
    expect(structureProblem('[[[[[]]]]]', limits)).toBe('0.0.0.0: is nested deeper than 4 levels');
    const deep = '['.repeat(3000) + ']'.repeat(3000);
    expect(structureProblem(deep, BODY_LIMITS)).toBe('0.0.0.0…: is nested deeper than 32 levels');
  });

  it('names the field where a limit was crossed (the body itself as `body`)', () => {
    expect(structureProblem('{"email":"a","password":[[[[1]]]]}', limits)).toBe('password.0.0.0: is nested deeper than 4 levels');
    expect(structureProblem('{"items":[{"x":1},{"productId":{"a":{"b":{}}}}]}', limits)).toBe(
      'items.1.productId.a: is nested deeper than 4 levels',
    );
    // Keys with quotes, colons, commas and escapes are decoded; the scan is not fooled by them.
    expect(structureProblem('{"a,\\"b":{"c:d":{"e":{"f":{}}}}}', limits)).toBe('a,"b.c:d.e.f: is nested deeper than 4 levels');
    expect(structureProblem('{"x":1,"nested":{"a":1,"b":2,"c":3,"d":4}}', limits)).toBe('nested: has more than 3 fields');
    expect(structureProblem('{"list":[1,{"a":1,"b":2,"c":3,"d":4}]}', limits)).toBe('list.1: has more than 3 fields');
    expect(structureProblem('{"a":1,"b":2,"c":3,"d":4}', limits)).toBe('body: an object has more than 3 fields');
  });

  it('counts keys per object, not per body', () => {
    expect(structureProblem('{"a":1,"b":2,"c":3}', limits)).toBeNull();
    expect(structureProblem('{"a":1,"b":2,"c":3,"d":4}', limits)).toBe('body: an object has more than 3 fields');
    expect(structureProblem('[{"a":1,"b":2,"c":3},{"a":1,"b":2,"c":3},{"x":{"a":1,"b":2,"c":3}}]', limits)).toBeNull();
    // Duplicate keys count: JSON.parse would collapse them, but the text is what costs.
    expect(structureProblem('{"a":1,"a":2,"a":3,"a":4}', limits)).toBe('body: an object has more than 3 fields');
    const many = `{${Array.from({ length: 40_000 }, (_, i) => `"k${i}":1`).join(',')}}`;
    expect(structureProblem(many, BODY_LIMITS)).toBe('body: an object has more than 1000 fields');
  });

  it('ignores brackets, colons and escaped quotes inside strings', () => {
    expect(structureProblem('{"a":"{{{{{[[[[[:::::","b":"x\\"{[:","c":"\\\\"}', limits)).toBeNull();
    expect(structureProblem('{"a:b:c:d:e":1}', limits)).toBeNull();
    // An even run of backslashes does not escape the quote after it.
    expect(structureProblem('{"a":"\\\\\\\\","b":[[[[[1]]]]]}', limits)).toBe('b.0.0.0: is nested deeper than 4 levels');
  });

  it('skips long strings whatever their escapes and multi-byte characters, and names fields in any script', () => {
    // Escaped quotes and runs of backslashes on both sides of the part of a string walked byte by byte.
    for (let at = 0; at < 140; at++) {
      for (const filler of ['x', 'é', '😀']) {
        const inner = `${filler.repeat(at)}\\"{[:\\\\${'y'.repeat(at)}\\\\\\"]]`;
        const text = `{"a":"${inner}","b":[[[[1]]]]}`;
        expect(JSON.parse(text).a).toContain('"{[:');
        expect([at, filler, structureProblem(text, limits)]).toEqual([at, filler, 'b.0.0.0: is nested deeper than 4 levels']);
        expect([at, filler, structureProblem(`{"a":"${inner}","b":[[[1]]]}`, limits)]).toEqual([at, filler, null]);
      }
    }
    expect(structureProblem('{"ключ":{"😀 k":[[[1]]]}}', limits)).toBe('ключ.😀 k.0.0: is nested deeper than 4 levels');
    expect(structureProblem(Buffer.from('{"ключ":{"a":1,"b":2,"c":3,"d":4}}'), limits)).toBe('ключ: has more than 3 fields');
    // An unterminated string is malformed JSON, left to JSON.parse.
    expect(structureProblem(`{"a":"${'x'.repeat(100)}\\"`, limits)).toBeNull();
  });

  it('agrees with JSON.parse on the depth and key count of any JSON value', () => {
    const measure = (value: unknown, depth = 1): { depth: number; keys: number } => {
      if (typeof value !== 'object' || value === null) return { depth: depth - 1, keys: 0 };
      const children = Array.isArray(value) ? value : Object.values(value);
      const own = Array.isArray(value) ? 0 : Object.keys(value).length;
      return children.reduce<{ depth: number; keys: number }>(
        (acc, child) => {
          const m = measure(child, depth + 1);
          return { depth: Math.max(acc.depth, m.depth), keys: Math.max(acc.keys, m.keys) };
        },
        { depth, keys: own },
      );
    };
    fc.assert(
      fc.property(fc.json({ maxDepth: 6 }), (text) => {
        const { depth, keys } = measure(JSON.parse(text));
        const problem = structureProblem(text, { maxDepth: 4, maxKeys: 3, maxStringLength: 10 });
        // Both limits exceeded: the first one met in the text is reported.
        if (depth > 4 && keys > 3) expect(problem).toMatch(/nested deeper|more than 3 fields/);
        else if (depth > 4) expect(problem).toMatch(/nested deeper/);
        else if (keys > 3) expect(problem).toMatch(/more than 3 fields/);
        else expect(problem).toBeNull();
      }),
      { numRuns: 500 },
    );
  });
});

describe('body structure scan, chunk by chunk', () => {
  /** The scan of `bytes` pushed in pieces cut at `cuts`. */
  const inChunks = (bytes: Buffer, cuts: number[], scanLimits: BodyLimits = limits): string | null => {
    const scan = new StructureScan(scanLimits);
    let from = 0;
    for (const cut of [...new Set(cuts)].sort((a, b) => a - b).concat(bytes.length)) {
      const problem = scan.push(bytes.subarray(from, cut));
      if (problem !== null) return problem;
      from = cut;
    }
    return null;
  };

  it('finds what the whole body gives, wherever the chunks are cut (inside strings, escapes, UTF-8 sequences)', () => {
    const bodies = fc.oneof(
      fc.json({ maxDepth: 6 }),
      fc.constantFrom(
        String.raw`{"a":"x\\\\","b":[[[[[1]]]]]}`,
        String.raw`{"a\\":"\\\"{[:","b":{"c":1,"d":2,"e":3,"f":4}}`,
        '{"ключ":{"😀 k":[[[1]]]}}',
        `{"long":"${String.raw`é\\\"`.repeat(50)}","deep":[[[[[0]]]]]}`,
      ),
    );
    fc.assert(
      fc.property(bodies, fc.array(fc.nat(), { maxLength: 8 }), (text, cuts) => {
        const bytes = Buffer.from(text);
        expect(
          inChunks(
            bytes,
            cuts.map((c) => c % (bytes.length + 1)),
          ),
        ).toBe(structureProblem(bytes, limits));
      }),
      { numRuns: 1_000 },
    );
  });

  it('refuses on the chunk that crosses a limit, before the rest arrives', () => {
    const scan = new StructureScan(BODY_LIMITS);
    const head = Buffer.from(`{${Array.from({ length: 1_001 }, (_, i) => `"k${i}":1`).join(',')}`);
    expect(scan.push(head.subarray(0, 5_000))).toBeNull();
    expect(scan.push(head.subarray(5_000))).toBe('body: an object has more than 1000 fields');
  });
});

describe('body string checks', () => {
  it('names each field holding a NUL, a lone surrogate or an over-long string, by path', () => {
    const body = JSON.parse(
      '{"name":"a\\u0000b","address":{"city":"\\ud800x"},"items":[{"sku":"ok"},{"sku":"12345678901"}],"fine":"\\ud83d\\ude00"}',
    );
    expect(stringProblems(body, limits).sort()).toEqual([
      'address.city: must be well-formed Unicode (no lone surrogates)',
      'items.1.sku: must be at most 10 characters long',
      'name: must not contain NUL (\\u0000) characters',
    ]);
  });

  it('checks field names too, without echoing the bad name', () => {
    const body = JSON.parse('{"a":{"b\\u0000":1,"\\udc00":2}}');
    expect(stringProblems(body, limits)).toEqual([
      'a: a field name must not contain NUL (\\u0000) characters',
      'a: a field name must be well-formed Unicode (no lone surrogates)',
    ]);
    expect(stringProblems(JSON.parse('{"\\u0000":1}'), limits)).toEqual(['body: a field name must not contain NUL (\\u0000) characters']);
  });

  it('checks a body that is a bare string, and accepts everything else', () => {
    expect(stringProblems('\u0000', limits)).toEqual(['body: must not contain NUL (\\u0000) characters']);
    expect(stringProblems({ a: 1, b: null, c: [true, 'x'], d: '\ud83d\ude00' }, limits)).toEqual([]);
    expect(stringProblems(42, limits)).toEqual([]);
  });

  it('reports 20 problems at most', () => {
    const body = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`f${i}`, '\u0000']));
    expect(stringProblems(body, limits)).toHaveLength(20);
  });
});
