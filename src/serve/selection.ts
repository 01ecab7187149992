// Row selections for /get_data (strax's pandas-query style, e.g. `area > 100 & type == 2`): parsed into an AST and
// compiled to a predicate over packed rows. Nothing is ever evaluated as code.
import type { RecordLayout } from '../strax/dtype/layout.js';
import { RecordView } from '../strax/dtype/rows.js';

export type CompareOp = '<' | '<=' | '>' | '>=' | '==' | '!=';
export type Operand = { kind: 'field'; name: string } | { kind: 'number'; value: number | bigint };
export type SelectionAst =
  | { kind: 'compare'; op: CompareOp; left: Operand; right: Operand }
  | { kind: 'and' | 'or'; left: SelectionAst; right: SelectionAst }
  | { kind: 'not'; operand: SelectionAst };

/** A selection that cannot be parsed or names what the data type does not have; the message says where. */
export class SelectionError extends Error {}

const MAX_LENGTH = 1000;
const MAX_DEPTH = 32;
const TOKEN = /(\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(<=|>=|==|!=|<|>|&&|\|\||[&|~!()-])/y;

type Token = { type: 'num' | 'word' | 'op'; text: string; at: number };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  for (;;) {
    while (at < text.length && /\s/.test(text[at]!)) at++;
    if (at >= text.length) return tokens;
    TOKEN.lastIndex = at;
    const m = TOKEN.exec(text);
    if (!m) throw new SelectionError(`selection: unexpected ${JSON.stringify(text[at])} at character ${at + 1}`);
    tokens.push({ type: m[1] !== undefined ? 'num' : m[2] !== undefined ? 'word' : 'op', text: m[0], at: at + 1 });
    at = TOKEN.lastIndex;
  }
}

const AND = new Set(['and', '&', '&&']);
const OR = new Set(['or', '|', '||']);
const NOT = new Set(['not', '~', '!']);
const COMPARE = new Set<string>(['<', '<=', '>', '>=', '==', '!=']);

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): SelectionAst {
    if (this.tokens.length === 0) throw new SelectionError('selection: empty expression');
    const ast = this.or(0);
    const extra = this.tokens[this.i];
    if (extra) throw new SelectionError(`selection: unexpected ${JSON.stringify(extra.text)} at character ${extra.at}`);
    return ast;
  }

  private peek(): Token | undefined {
    return this.tokens[this.i];
  }

  private or(depth: number): SelectionAst {
    let left = this.and(depth);
    while (this.peek() && OR.has(this.peek()!.text)) {
      this.i++;
      left = { kind: 'or', left, right: this.and(depth) };
    }
    return left;
  }

  private and(depth: number): SelectionAst {
    let left = this.unary(depth);
    while (this.peek() && AND.has(this.peek()!.text)) {
      this.i++;
      left = { kind: 'and', left, right: this.unary(depth) };
    }
    return left;
  }

  private unary(depth: number): SelectionAst {
    if (depth > MAX_DEPTH) throw new SelectionError(`selection: nested deeper than ${MAX_DEPTH} levels`);
    const t = this.peek();
    if (t && NOT.has(t.text)) {
      this.i++;
      return { kind: 'not', operand: this.unary(depth + 1) };
    }
    if (t?.text === '(') {
      this.i++;
      const inner = this.or(depth + 1);
      this.expect(')');
      return inner;
    }
    return this.comparison();
  }

  private comparison(): SelectionAst {
    const left = this.operand();
    const op = this.peek();
    if (!op || !COMPARE.has(op.text)) throw new SelectionError(`selection: expected a comparison (<, <=, >, >=, ==, !=) ${op ? `at character ${op.at}, got ${JSON.stringify(op.text)}` : 'at the end'}`);
    this.i++;
    return { kind: 'compare', op: op.text as CompareOp, left, right: this.operand() };
  }

  private operand(): Operand {
    let t = this.peek();
    let negative = false;
    if (t?.text === '-') {
      negative = true;
      this.i++;
      t = this.peek();
      if (t?.type !== 'num') throw new SelectionError(`selection: '-' must be followed by a number${t ? ` at character ${t.at}` : ''}`);
    }
    if (!t) throw new SelectionError('selection: expected a field name or a number at the end');
    this.i++;
    if (t.type === 'num') return { kind: 'number', value: numberOf(negative ? `-${t.text}` : t.text) };
    if (t.type === 'word' && !AND.has(t.text) && !OR.has(t.text) && !NOT.has(t.text)) {
      if (t.text === 'True' || t.text === 'False') return { kind: 'number', value: t.text === 'True' ? 1 : 0 };
      return { kind: 'field', name: t.text };
    }
    throw new SelectionError(`selection: expected a field name or a number at character ${t.at}, got ${JSON.stringify(t.text)}`);
  }

  private expect(text: string): void {
    const t = this.peek();
    if (t?.text !== text) throw new SelectionError(`selection: expected ${JSON.stringify(text)} ${t ? `at character ${t.at}` : 'at the end'}`);
    this.i++;
  }
}

/** Integers stay exact (BigInt beyond 2^53, so nanosecond times compare exactly). */
function numberOf(text: string): number | bigint {
  if (/^-?\d+$/.test(text)) {
    const n = Number(text);
    return Number.isSafeInteger(n) ? n : BigInt(text);
  }
  return Number(text);
}

export function parseSelection(text: string): SelectionAst {
  if (text.length > MAX_LENGTH) throw new SelectionError(`selection: longer than ${MAX_LENGTH} characters`);
  return new Parser(tokenize(text)).parse();
}

type Value = (i: number) => number | bigint;
export type RowPredicate = (i: number) => boolean;

/** Compile against a layout: fields must be numeric scalars of the data type. Returns a predicate over row indices of `view`. */
export function compileSelection(ast: SelectionAst, layout: RecordLayout): (view: RecordView) => RowPredicate {
  checkFields(ast, layout);
  return (view) => build(ast, view);
}

function checkFields(ast: SelectionAst, layout: RecordLayout): void {
  if (ast.kind === 'not') return checkFields(ast.operand, layout);
  if (ast.kind !== 'compare') {
    checkFields(ast.left, layout);
    return checkFields(ast.right, layout);
  }
  for (const o of [ast.left, ast.right]) {
    if (o.kind !== 'field') continue;
    if (!layout.has(o.name)) throw new SelectionError(`selection: no field ${JSON.stringify(o.name)} (fields: ${layout.fields.map((f) => f.name).join(', ')})`);
    const f = layout.field(o.name);
    if (f.count !== 1 || f.kind === 'S' || f.kind === 'U') throw new SelectionError(`selection: field ${JSON.stringify(o.name)} is not a number (${f.typestr}${f.shape.length ? ` × ${f.shape.join('×')}` : ''})`);
  }
}

function value(o: Operand, view: RecordView): Value {
  if (o.kind === 'field') return view.reader(o.name);
  const v = o.value;
  return () => v;
}

// Relational operators compare number and bigint exactly in JS; loose equality does too (1n == 1).
const COMPARATORS: Record<CompareOp, (a: number | bigint, b: number | bigint) => boolean> = {
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
  // eslint-disable-next-line eqeqeq
  '==': (a, b) => a == b,
  // eslint-disable-next-line eqeqeq
  '!=': (a, b) => a != b,
};

function build(ast: SelectionAst, view: RecordView): RowPredicate {
  switch (ast.kind) {
    case 'compare': {
      const l = value(ast.left, view);
      const r = value(ast.right, view);
      const cmp = COMPARATORS[ast.op];
      return (i) => cmp(l(i), r(i));
    }
    case 'and': {
      const l = build(ast.left, view);
      const r = build(ast.right, view);
      return (i) => l(i) && r(i);
    }
    case 'or': {
      const l = build(ast.left, view);
      const r = build(ast.right, view);
      return (i) => l(i) || r(i);
    }
    case 'not': {
      const o = build(ast.operand, view);
      return (i) => !o(i);
    }
  }
}
