import { decodeEntry, encodeEntry, EntryKind } from './envelope.js';
import { JsonSerializer, MsgpackSerializer } from './serializer.js';

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
    const v = decodeEntry(json, encodeEntry(json, EntryKind.Value, 'abcdefgh', 3, 99, null) as string)!;
    expect(v).toMatchObject({ kind: EntryKind.Value, head: 'Vabcdefgh', nsVersion: 3, freshUntil: 99, value: null });
    const n = decodeEntry(json, encodeEntry(json, EntryKind.Negative, 'abcdefgh', 0, 5, undefined) as string)!;
    expect(n.kind).toBe(EntryKind.Negative);
    const x = decodeEntry(json, encodeEntry(json, EntryKind.Tombstone, 'abcdefgh', 0, 0, undefined) as string)!;
    expect(x.kind).toBe(EntryKind.Tombstone);
  });

  it('works with binary payloads', () => {
    const mp = new MsgpackSerializer();
    const raw = encodeEntry(mp, EntryKind.Value, 'abcdefgh', 7, 1234, { a: [1, 2] });
    expect(Buffer.isBuffer(raw)).toBe(true);
    expect(decodeEntry(mp, raw)).toMatchObject({ head: 'Vabcdefgh', nsVersion: 7, freshUntil: 1234, value: { a: [1, 2] } });
  });

  it('treats foreign data as not an entry', () => {
    expect(decodeEntry(json, 'hello')).toBeUndefined();
    expect(decodeEntry(json, 'plain old string value')).toBeUndefined();
  });
});
