// A tiny parser and printer for the Python literals in numpy dtype reprs: lists, tuples, str (both quote styles), ints.

export type PyLiteral = string | number | PyTuple | PyLiteral[];
/** A Python tuple (distinguished from a list, since `(110,)` means a shape). */
export class PyTuple {
  constructor(readonly items: PyLiteral[]) {}
}

export class PyLiteralError extends Error {}
Object.defineProperty(PyLiteralError.prototype, 'name', { value: 'PyLiteralError', enumerable: false });

/** `ast.literal_eval` for the subset numpy's `repr(dtype.descr)` uses. */
export function parsePyLiteral(text: string): PyLiteral {
  const p = new LiteralParser(text);
  p.ws();
  const v = p.value();
  p.ws();
  if (p.i !== text.length) p.fail('unexpected text after the literal');
  return v;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\n': '',
};

class LiteralParser {
  i = 0;
  constructor(readonly s: string) {}

  fail(what: string): never {
    const near = this.s.slice(Math.max(0, this.i - 20), this.i + 20);
    throw new PyLiteralError(`${what} at offset ${this.i} (near ${JSON.stringify(near)})`);
  }

  ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i]!)) this.i++;
  }

  value(): PyLiteral {
    const c = this.s[this.i];
    if (c === '[') return this.seq(']');
    if (c === '(') {
      const items = this.seq(')');
      return items.length === 1 && !this.lastHadComma ? items[0]! : new PyTuple(items);
    }
    if (c === "'" || c === '"') return this.str();
    if (c === 'b' && (this.s[this.i + 1] === "'" || this.s[this.i + 1] === '"')) this.fail('bytes literals are not supported');
    const m = /^[-+]?\d+/.exec(this.s.slice(this.i, this.i + 40));
    if (!m) this.fail(this.i >= this.s.length ? 'unexpected end of text' : `unexpected character ${JSON.stringify(c)}`);
    this.i += m[0].length;
    return Number(m[0]);
  }

  lastHadComma = false;

  seq(close: string): PyLiteral[] {
    this.i++;
    const out: PyLiteral[] = [];
    let comma = false;
    for (;;) {
      this.ws();
      if (this.s[this.i] === close) {
        this.i++;
        this.lastHadComma = comma;
        return out;
      }
      out.push(this.value());
      comma = false;
      this.ws();
      if (this.s[this.i] === ',') {
        this.i++;
        comma = true;
      } else if (this.s[this.i] !== close) this.fail(`expected ',' or '${close}'`);
    }
  }

  str(): string {
    const q = this.s[this.i++]!;
    let out = '';
    for (;;) {
      if (this.i >= this.s.length) this.fail('unterminated string');
      const c = this.s[this.i++]!;
      if (c === q) return out;
      if (c === '\n') this.fail('newline in string');
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.s[this.i++] ?? '';
      if (e in SIMPLE_ESCAPES) out += SIMPLE_ESCAPES[e];
      else if (e === 'x' || e === 'u' || e === 'U') {
        const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
        const hex = this.s.slice(this.i, this.i + n);
        if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) this.fail(`bad \\${e} escape`);
        out += String.fromCodePoint(parseInt(hex, 16));
        this.i += n;
      } else if (/[0-7]/.test(e)) {
        const oct = /^[0-7]{1,3}/.exec(this.s.slice(this.i - 1, this.i + 2))![0];
        out += String.fromCharCode(parseInt(oct, 8));
        this.i += oct.length - 1;
      } else out += '\\' + e; // Python keeps unknown escapes literally
    }
  }
}

/** Python's `repr(str)`: single quotes unless the text has ' and no ", escapes as CPython does. */
export function pyStrRepr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = q;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === q || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f || (c >= 0x80 && c <= 0xa0) || c === 0xad) out += '\\x' + c.toString(16).padStart(2, '0');
    else if ((c >= 0xd800 && c <= 0xdfff) || c === 0x2028 || c === 0x2029 || (c >= 0x200b && c <= 0x200f) || c === 0xfeff)
      out += '\\u' + c.toString(16).padStart(4, '0');
    else out += ch;
  }
  return out + q;
}
