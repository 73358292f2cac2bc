// @ts-expect-error -- a build script (plain ES module, no types)
import { dropRedundantNames } from '../../scripts/lib/drop-redundant-names.mjs';

const drop = dropRedundantNames as (source: string) => { code: string; dropped: number };

/** What esbuild's keepNames writes, in each of the forms the bundle has. */
const SOURCE = `var __calls = 0;
var __name = (target, value) => (__calls++, Object.defineProperty(target, "name", { value, configurable: true }));
function outer() {
  function inner() { return 1; }
  __name(inner, "inner"), inner();
  function alone() {}
  __name(alone, "alone");
  let handOver = __name(() => 1, "handOver");
  let wrapped = __name((x => x), "wrapped");
  let renamed2 = __name(() => 2, "renamed");
  const o = { take: __name(function () {}, "take"), "quoted key": __name(async () => {}, "quoted key") };
  let assigned;
  assigned = __name(() => 3, "assigned");
  const holder = {};
  holder.member = __name(() => 4, "member");
  class C { field = __name(() => 5, "field"); }
  const named = __name(function named() {}, "named");
  const other = __name(function inner2() {}, "other");
  return [inner, alone, handOver, wrapped, renamed2, o.take, o["quoted key"], assigned, holder.member, new C().field, named, other].map((f) => f.name);
}`;

/** The names the functions end with, and how many __name calls ran. */
function run(code: string): { names: string[]; calls: number } {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the point is to run the edited code
  const [names, calls] = new Function(`${code}\nreturn [outer(), __calls];`)() as [string[], number];
  return { names, calls };
}

describe('dropRedundantNames (the API bundle build)', () => {
  it('drops only the __name calls whose name the language gives anyway, and every function keeps its name', () => {
    const before = run(SOURCE);
    const { code, dropped } = drop(SOURCE);
    const after = run(code);
    expect(before.names).toEqual([
      'inner',
      'alone',
      'handOver',
      'wrapped',
      'renamed',
      'take',
      'quoted key',
      'assigned',
      'member',
      'field',
      'named',
      'other',
    ]);
    expect(after.names).toEqual(before.names);
    expect(before.calls).toBe(12);
    // Left: a renamed variable, a member assignment, a named function expression of another name.
    expect(after.calls).toBe(3);
    expect(dropped).toBe(9);
  });

  it('keeps every line and column where it was (the source map stays true)', () => {
    const { code } = drop(SOURCE);
    expect(code.length).toBe(SOURCE.length);
    expect(code.split('\n').map((line) => line.length)).toEqual(SOURCE.split('\n').map((line) => line.length));
    expect(code).toContain('let handOver =       (() => 1            );');
    expect(code).toContain('let wrapped =       ((x => x)           );');
    expect(code).toContain('                        inner();');
    for (const kept of ['__name(() => 2, "renamed")', '__name(() => 4, "member")', '__name(function inner2() {}, "other")'])
      expect(code).toContain(kept);
  });
});
