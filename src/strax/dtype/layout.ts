// Record layouts: parse numpy's `repr(dtype.descr)` into packed field offsets, and print it back byte-identically.
import { DaqflowError, EXIT } from '../../errors.js';
import { PyTuple, parsePyLiteral, pyStrRepr, type PyLiteral } from './py-literal.js';

/** i: signed int, u: unsigned int, f: float, b: bool, S: bytes, U: UTF-32 text, M/m: datetime/timedelta (int64). */
export type FieldKind = 'i' | 'u' | 'f' | 'b' | 'S' | 'U' | 'M' | 'm';

export interface FieldLayout {
  readonly name: string;
  readonly title: string | undefined;
  /** The numpy type string as written, e.g. `<i8`, `|u1`, `|S10`. */
  readonly typestr: string;
  readonly kind: FieldKind;
  /** Bytes per element (for U: 4 × characters). */
  readonly elementSize: number;
  /** Sub-array shape; `[]` for scalars, `[110]` for `(110,)`. */
  readonly shape: readonly number[];
  /** Elements per row (product of shape, 1 for scalars). */
  readonly count: number;
  readonly offset: number;
  /** Bytes per row: elementSize × count. */
  readonly size: number;
}

export interface RecordLayout {
  readonly fields: readonly FieldLayout[];
  readonly itemsize: number;
  /** Exactly what numpy's `repr(dtype.descr)` prints for this layout. */
  readonly descr: string;
  field(name: string): FieldLayout;
  has(name: string): boolean;
}

/** The dtype text cannot be understood; names the source (file) when given. */
export class DtypeError extends DaqflowError {
  constructor(message: string, source?: string) {
    super(source ? `${source}: ${message}` : message, { exitCode: EXIT.runsFailed, context: { file: source } });
  }
}
Object.defineProperty(DtypeError.prototype, 'name', { value: 'DtypeError', enumerable: false });

export interface FieldSpec {
  name: string;
  title?: string;
  typestr: string;
  shape?: readonly number[];
}

const TYPESTR = /^([<|=])([iufbSUMm])(\d+)(\[[A-Za-z0-9]+\])?$/;

function parseTypestr(typestr: string): { kind: FieldKind; elementSize: number } {
  const m = TYPESTR.exec(typestr);
  if (!m) {
    const hint = typestr.startsWith('>') ? ' (big-endian fields are not supported)' : '';
    throw new DtypeError(`unsupported numpy type string ${JSON.stringify(typestr)}${hint}`);
  }
  const kind = m[2] as FieldKind;
  const n = Number(m[3]);
  if ((kind === 'M' || kind === 'm') && n !== 8) throw new DtypeError(`unsupported datetime type ${typestr}`);
  if ((kind === 'M' || kind === 'm') !== (m[4] !== undefined)) throw new DtypeError(`unsupported numpy type string ${typestr}`);
  const ok = kind === 'S' || kind === 'U' ? n > 0 : kind === 'f' ? n === 4 || n === 8 : kind === 'b' ? n === 1 : [1, 2, 4, 8].includes(n);
  if (!ok) throw new DtypeError(`unsupported numpy type string ${JSON.stringify(typestr)}`);
  return { kind, elementSize: kind === 'U' ? 4 * n : n };
}

/** Build a packed (align=False) layout from field specs. */
export function makeLayout(specs: readonly FieldSpec[]): RecordLayout {
  const fields: FieldLayout[] = [];
  const byName = new Map<string, FieldLayout>();
  let offset = 0;
  for (const s of specs) {
    const { kind, elementSize } = parseTypestr(s.typestr);
    const shape = [...(s.shape ?? [])];
    if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new DtypeError(`field ${s.name}: bad shape (${shape.join(', ')})`);
    const count = shape.reduce((a, b) => a * b, 1);
    if (byName.has(s.name)) throw new DtypeError(`field name ${JSON.stringify(s.name)} appears twice`);
    const f: FieldLayout = { name: s.name, title: s.title, typestr: s.typestr, kind, elementSize, shape, count, offset, size: elementSize * count };
    fields.push(f);
    byName.set(s.name, f);
    offset += f.size;
  }
  const descr = '[' + fields.map(fieldRepr).join(', ') + ']';
  return {
    fields,
    itemsize: offset,
    descr,
    field(name: string): FieldLayout {
      const f = byName.get(name);
      if (!f) throw new DtypeError(`no field ${JSON.stringify(name)} (fields: ${[...byName.keys()].join(', ')})`);
      return f;
    },
    has: (name: string) => byName.has(name),
  };
}

function fieldRepr(f: FieldLayout): string {
  const name = f.title === undefined ? pyStrRepr(f.name) : `(${pyStrRepr(f.title)}, ${pyStrRepr(f.name)})`;
  if (f.shape.length === 0) return `(${name}, ${pyStrRepr(f.typestr)})`;
  const shape = f.shape.length === 1 ? `(${f.shape[0]},)` : `(${f.shape.join(', ')})`;
  return `(${name}, ${pyStrRepr(f.typestr)}, ${shape})`;
}

/** Parse the `dtype` string stored in strax metadata (`repr(np.dtype.descr)`). `source` names the file in errors. */
export function parseDtype(text: string, source?: string): RecordLayout {
  let lit: PyLiteral;
  try {
    lit = parsePyLiteral(text);
  } catch (error) {
    throw new DtypeError(`dtype is not a Python literal: ${(error as Error).message}`, source);
  }
  if (!Array.isArray(lit) || lit.length === 0) throw new DtypeError('dtype must be a non-empty list of fields', source);
  try {
    return makeLayout(lit.map((item, i) => fieldSpec(item, i)));
  } catch (error) {
    if (error instanceof DtypeError && source) throw new DtypeError(error.message, source);
    throw error;
  }
}

function fieldSpec(item: PyLiteral, i: number): FieldSpec {
  const where = `field ${i}`;
  if (!(item instanceof PyTuple) || item.items.length < 2 || item.items.length > 3) {
    throw new DtypeError(`${where}: expected (name, type[, shape])`);
  }
  const [nameLit, typeLit, shapeLit] = item.items;
  let name: string;
  let title: string | undefined;
  if (typeof nameLit === 'string') name = nameLit;
  else if (nameLit instanceof PyTuple && nameLit.items.length === 2 && nameLit.items.every((x) => typeof x === 'string')) {
    [title, name] = nameLit.items as [string, string];
  } else throw new DtypeError(`${where}: name must be 'name' or ('title', 'name')`);
  if (Array.isArray(typeLit)) throw new DtypeError(`${where} (${name}): nested structured fields are not supported`);
  if (typeof typeLit !== 'string') throw new DtypeError(`${where} (${name}): type must be a string like '<i8'`);
  let shape: number[] = [];
  if (shapeLit !== undefined) {
    if (typeof shapeLit === 'number') shape = [shapeLit];
    else if (shapeLit instanceof PyTuple && shapeLit.items.every((x) => typeof x === 'number')) shape = shapeLit.items as number[];
    else throw new DtypeError(`${where} (${name}): shape must be an int or a tuple of ints`);
  }
  return { name, title, typestr: typeLit, shape };
}
