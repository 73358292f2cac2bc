import { decodeEntry, decodeFreshValue, encodeEntry, EntryKind, NO_VERSION, NOT_FRESH, versionOf } from './envelope.js';
import { JsonSerializer, MsgpackSerializer, jsonTextOf } from './serializer.js';

describe('JsonSerializer', () => {
  const s = new JsonSerializer();
  const rt = (v: unknown) => s.decode(s.encode(v));

  it('round-trips Dates as Dates, nested and at the top level', () => {
    const d = new Date('2024-02-29T12:34:56.789Z');
    const out = rt({ at: d, list: [d, { deep: d }], n: 1 }) as { at: Date; list: [Date, { deep: Date }]; n: number };
    expect(out.at).toBeInstanceOf(Date);
    expect(out.at.getTime()).toBe(d.getTime());
    expect(out.list[0]).toBeInstanceOf(Date);
    expect(out.list[1].deep.getTime()).toBe(d.getTime());
    expect((rt(d) as Date).getTime()).toBe(d.getTime());
  });

  it('does not turn look-alike strings into Dates', () => {
    const tricky = { a: '\u0001D123', b: '\u0001\u0001x', c: '2024-01-01T00:00:00.000Z' };
    expect(rt(tricky)).toEqual(tricky);
  });

  it('finds tagged strings anywhere, and leaves look-alike escapes alone', () => {
    const d = new Date(1_700_000_000_123);
    const v = { list: [{ deep: [d] }], tagged: '\u0001x', backslash: '\\u0001D123', both: ['\\u0001', '\u0001\u0001'] };
    const text = s.encode(v);
    const out = s.decode(text) as typeof v & { list: [{ deep: [Date] }] };
    expect(out.list[0].deep[0]).toBeInstanceOf(Date);
    expect(out.list[0].deep[0].getTime()).toBe(d.getTime());
    expect(out).toEqual(v);
    // A payload without tags but with a literal backslash before "u0001" parses the same.
    expect(rt({ path: 'C:\\u0001\\x', n: 1 })).toEqual({ path: 'C:\\u0001\\x', n: 1 });
  });

  it('writes plain values as plain JSON, and still tags what needs it (toJSON results, deep Dates, tag-like strings)', () => {
    const plain = { id: 'p1', n: 1.5, ok: true, none: null, list: [1, 'a\u0001b', { x: [] }] };
    expect(s.encode(plain)).toBe(JSON.stringify(plain));
    const d = new Date(1_700_000_000_000);
    // A toJSON result is what gets serialized: its Dates are tagged like any other.
    const viaToJson = rt({ x: { toJSON: () => ({ at: d }) } }) as { x: { at: Date } };
    expect(viaToJson.x.at).toBeInstanceOf(Date);
    // Deeper than the fast path looks: still a Date.
    let deep: unknown = { at: d };
    for (let i = 0; i < 80; i++) deep = [deep];
    let back = rt(deep);
    for (let i = 0; i < 80; i++) back = (back as unknown[])[0];
    expect((back as { at: Date }).at).toBeInstanceOf(Date);
    expect(rt({ s: '\u0001D5', t: 'x\u0001' })).toEqual({ s: '\u0001D5', t: 'x\u0001' });
  });

  it('remembers the text of an object it encoded as plain JSON (jsonTextOf), and only then', () => {
    const plain = { items: [{ id: 'a', n: 1 }], total: 1 };
    const text = s.encode(plain);
    expect(jsonTextOf(plain)).toBe(text);
    expect(text).toBe(JSON.stringify(plain));
    expect(jsonTextOf({ items: [{ id: 'a', n: 1 }], total: 1 })).toBeUndefined(); // an equal object, not that one
    const dated = { at: new Date(0) };
    s.encode(dated);
    expect(jsonTextOf(dated)).toBeUndefined(); // stored with the Date tag: not JSON.stringify's text
    const tagLike = { a: '\u0001x' };
    s.encode(tagLike);
    expect(jsonTextOf(tagLike)).toBeUndefined();
    const packed = { id: 1 };
    new MsgpackSerializer().encode(packed);
    expect(jsonTextOf(packed)).toBeUndefined();
  });

  it('keeps falsy values and null', () => {
    for (const v of [0, '', false, null, [], {}]) expect(rt(v)).toEqual(v);
  });

  it('refuses undefined and functions (not serializable)', () => {
    expect(() => s.encode(undefined)).toThrow();
    expect(() => s.encode(() => 1)).toThrow();
  });
});

describe('MsgpackSerializer', () => {
  it('round-trips values and Dates', () => {
    const s = new MsgpackSerializer();
    const d = new Date('2024-01-02T03:04:05.006Z');
    const out = s.decode(s.encode({ d, n: null, z: 0, e: '', f: false })) as Record<string, unknown>;
    expect((out.d as Date).getTime()).toBe(d.getTime());
    expect(out).toMatchObject({ n: null, z: 0, e: '', f: false });
  });
});

describe('entry envelope', () => {
  const json = new JsonSerializer();
  it('distinguishes a cached null from a negative entry and a tombstone', () => {
    const v = decodeEntry(json, encodeEntry(json, EntryKind.Value, 'abcdefgh', 3, 99, null))!;
    expect(v).toMatchObject({ kind: EntryKind.Value, head: 'Vabcdefgh', nsVersion: 3, freshUntil: 99, value: null });
    const n = decodeEntry(json, encodeEntry(json, EntryKind.Negative, 'abcdefgh', 0, 5, undefined))!;
    expect(n.kind).toBe(EntryKind.Negative);
    const x = decodeEntry(json, encodeEntry(json, EntryKind.Tombstone, 'abcdefgh', 0, 0, undefined))!;
    expect(x.kind).toBe(EntryKind.Tombstone);
  });

  it('works with binary payloads', () => {
    const mp = new MsgpackSerializer();
    const raw = encodeEntry(mp, EntryKind.Value, 'abcdefgh', 7, 1234, { a: [1, 2] });
    expect(Buffer.isBuffer(raw)).toBe(true);
    expect(decodeEntry(mp, raw)).toMatchObject({ head: 'Vabcdefgh', nsVersion: 7, freshUntil: 1234, value: { a: [1, 2] } });
  });

  it('decodeFreshValue gives the verdict of decodeEntry + version and freshness checks (text and bytes)', () => {
    const mp = new MsgpackSerializer();
    const now = 1_000_000;
    const value = { a: 1, at: new Date(5), s: 'é|x' };
    // [label, stored, version key's text, written by encodeEntry (the fast path must take its hits)]
    const cases: [string, string | Buffer, string | null, boolean][] = [
      ['fresh value', encodeEntry(json, EntryKind.Value, 'abcdefgh', 3, now + 1, value), '3', true],
      ['fresh null', encodeEntry(json, EntryKind.Value, 'abcdefgh', 0, now + 1, null), '0', true],
      ['µs version', encodeEntry(json, EntryKind.Value, 'abcdefgh', 1733112345678901, now + 1, value), '1733112345678901', true],
      ['stale value', encodeEntry(json, EntryKind.Value, 'abcdefgh', 3, now, value), '3', true],
      ['other version', encodeEntry(json, EntryKind.Value, 'abcdefgh', 2, now + 1, value), '3', true],
      ['version prefix', encodeEntry(json, EntryKind.Value, 'abcdefgh', 31, now + 1, value), '3', true],
      ['longer version', encodeEntry(json, EntryKind.Value, 'abcdefgh', 3, now + 1, value), '31', true],
      ['no version key', encodeEntry(json, EntryKind.Value, 'abcdefgh', 3, now + 1, value), null, true],
      ['negative', encodeEntry(json, EntryKind.Negative, 'abcdefgh', 3, now + 1, undefined), '3', true],
      ['stale negative', encodeEntry(json, EntryKind.Negative, 'abcdefgh', 3, now - 1, undefined), '3', true],
      ['tombstone', encodeEntry(json, EntryKind.Tombstone, 'abcdefgh', 3, now + 1, undefined), '3', true],
      ['tagged', encodeEntry(json, EntryKind.Value, 'abcdefgh', 3, now + 1, value, [{ tag: 't', v: 5 }]), '3', true],
      ['unknown kind', 'Zabcdefgh|3|9999999|{}', '3', false],
      ['non-digit version', 'Vabcdefgh|3a|9999999|{}', '3', false],
      ['spaced version', 'Vabcdefgh| 3|9999999|{}', '3', false],
      ['leading zero', 'Vabcdefgh|03|9999999|{}', '3', false],
      ['empty version', 'Vabcdefgh||9999999|1', '0', false],
      ['no payload separator', 'Vabcdefgh|3|9999999', '3', false],
      ['bad json', 'Vabcdefgh|3|9999999|{nope', '3', false],
      ['foreign', 'plain old string value', '0', false],
      ['msgpack value', encodeEntry(mp, EntryKind.Value, 'abcdefgh', 3, now + 1, value), '3', true],
    ];
    for (const [label, raw, version, written] of cases) {
      const ser = Buffer.isBuffer(raw) ? mp : json;
      const nsVersion = version === null ? NO_VERSION : Number(version);
      for (const form of Buffer.isBuffer(raw) ? [raw] : [raw, Buffer.from(raw, 'utf8')]) {
        let e: ReturnType<typeof decodeEntry>;
        try {
          e = decodeEntry(ser, form);
        } catch {
          e = undefined;
        }
        const hit =
          e !== undefined && e.tags === undefined && e.kind !== EntryKind.Tombstone && e.nsVersion === nsVersion && now < e.freshUntil;
        for (const v of version === null ? [null] : [version, Buffer.from(version)]) {
          const fast = decodeFreshValue(ser, form, v, now);
          // Never a value the general path would not give; NOT_FRESH hands the entry to that path.
          if (fast !== NOT_FRESH) expect([label, hit, fast]).toEqual([label, true, e!.value]);
          // What this library writes takes the fast path whenever it is a hit.
          else if (written) expect([label, hit]).toEqual([label, false]);
        }
      }
    }
  });

  it('versionOf reads the namespace version like Number()', () => {
    for (const v of ['0', '7', '123456789012', '1733112345678901', ' 5', '5x', '']) {
      expect(versionOf(v)).toEqual(v ? +v : NO_VERSION);
      expect(versionOf(Buffer.from(v))).toEqual(v ? +v : NO_VERSION);
    }
    expect(versionOf(null)).toBe(NO_VERSION);
  });

  it('treats foreign data as not an entry', () => {
    expect(decodeEntry(json, 'hello')).toBeUndefined();
    expect(decodeEntry(json, 'plain old string value')).toBeUndefined();
  });
});
