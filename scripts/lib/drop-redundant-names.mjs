import { Parser } from 'acorn';

const PARSE = { ecmaVersion: 'latest', sourceType: 'module' };

/** `__name(fn, "literal")` as esbuild writes it: its two arguments, else undefined. */
function nameCall(node) {
  if (node?.type !== 'CallExpression' || node.callee.type !== 'Identifier' || node.callee.name !== '__name') return undefined;
  const [fn, name] = node.arguments;
  return node.arguments.length === 2 && name.type === 'Literal' ? { fn, name } : undefined;
}

// esbuild's keepNames wraps every function it could rename in __name(fn, "name"), an
// Object.defineProperty call each time the expression runs: a closure made per request paid it on
// every request, and left functions of two shapes where there was one (a Nest route spent about a
// fifth more CPU per request). Where the language gives the function that same name anyway, the
// call is dropped:
// - `x = __name(() => ..., "x")` as a variable, property, class field or plain assignment named x;
// - the statement `__name(f, "f")` in the block that declares `function f`.
// Every character keeps its position (`__name(` becomes `(`, the rest becomes spaces), so the
// source map stays true. Returns the code and how many calls were dropped.
export function dropRedundantNames(source) {
  const ast = Parser.parse(source, PARSE);
  const drops = [];
  const statements = [];
  const nameOf = (key) =>
    key.type === 'Identifier' ? key.name : key.type === 'Literal' && typeof key.value === 'string' ? key.value : undefined;
  const consider = (target, value) => {
    const call = nameCall(value);
    if (target === undefined || call === undefined || call.name.value !== target) return;
    const { fn, name } = call;
    const anonymous = fn.type === 'ArrowFunctionExpression' || (fn.type === 'FunctionExpression' && fn.id === null);
    if (anonymous || (fn.type === 'FunctionExpression' && fn.id.name === target)) drops.push({ call: value, name });
  };
  // `__name(f,"f")` beside `function f` in the same block: f already has that name, with the same
  // property attributes, so the statement does nothing (but run each time the block does).
  const declaredHere = (body) => {
    const declared = new Set(body.filter((n) => n.type === 'FunctionDeclaration').map((n) => n.id.name));
    const redundant = (node) => {
      const call = nameCall(node);
      return call !== undefined && call.fn.type === 'Identifier' && call.name.value === call.fn.name && declared.has(call.fn.name);
    };
    for (const n of body) {
      if (n.type !== 'ExpressionStatement') continue;
      // minifySyntax joins statements: `__name(f,"f"),next()`. Each call goes with the comma after it
      // (the one before it, when last).
      const parts = n.expression.type === 'SequenceExpression' ? n.expression.expressions : [n.expression];
      parts.forEach((part, i) => {
        if (!redundant(part)) return;
        if (parts.length === 1) statements.push({ start: part.start, end: part.end });
        else if (i < parts.length - 1) statements.push({ start: part.start, end: parts[i + 1].start });
        else statements.push({ start: parts[i - 1].end, end: part.end });
      });
    }
  };
  const visit = (node) => {
    if (node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const child of node) visit(child);
      return;
    }
    if (typeof node.type !== 'string') return;
    if (node.type === 'BlockStatement') declaredHere(node.body);
    if (node.type === 'VariableDeclarator' && node.id.type === 'Identifier') consider(node.id.name, node.init);
    else if (node.type === 'AssignmentExpression' && node.operator === '=' && node.left.type === 'Identifier')
      consider(node.left.name, node.right);
    else if ((node.type === 'Property' && node.kind === 'init' && !node.method && !node.shorthand) || node.type === 'PropertyDefinition') {
      if (!node.computed) consider(nameOf(node.key), node.value);
    }
    for (const key in node) if (key !== 'type' && key !== 'start' && key !== 'end') visit(node[key]);
  };
  visit(ast);
  const chars = source.split('');
  for (const { call, name } of drops) {
    // __name(FN,"x") -> (FN    ): a parenthesized function keeps the name it is given. FN may be
    // parenthesized itself: only the comma before the name and the name are blanked.
    for (let i = call.start; i < call.start + '__name'.length; i++) chars[i] = ' ';
    for (let i = source.lastIndexOf(',', name.start); i < call.end - 1; i++) chars[i] = ' ';
  }
  // A dropped statement leaves its `;` (an empty statement) or nothing before a `}`.
  for (const range of statements) for (let i = range.start; i < range.end; i++) chars[i] = ' ';
  const code = chars.join('');
  Parser.parse(code, PARSE); // throws if an edit broke the syntax
  return { code, dropped: drops.length + statements.length };
}
