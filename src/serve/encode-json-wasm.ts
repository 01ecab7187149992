// The JSON row encoder in WebAssembly (wasm/json-rows.ts): the same text as the JavaScript encoder in encode-json.ts,
// which stays the fallback (text fields, nested lists, no WebAssembly memory); the tests hold both to a plain
// reference (String of each value, BigInt for 64-bit integers), and scripts/check-json-floats.mjs every float32.
// Its float formatting (Ryu's shortest digits) is what makes it fast: V8's number-to-text was most of a JSON reply's
// time. One instance per thread serves every reply: each step copies in the field program and a block of rows, so
// replies written in turn by the event loop never see each other's state. The memory holds, one after the other:
//   [0, TABLES_AT)     the module's own static data
//   tables             5^i and 2^k/5^i as 128-bit integers, for every exponent of a double (POW5_ENTRIES, …)
//   scratch            32 bytes where a number's digits are put together, then "00"…"99"
//   program            per field 24 bytes (kind, offset, list length, key at, key length, element size), then the keys
//   rows               a block of rows copied in
//   out                the JSON text of one step
import type { FieldLayout, RecordLayout } from '../strax/dtype/layout.js';
import { growWasmMemory, ifWasmMemory, wasmMemory, wasmModule } from '../util/wasm.js';

interface JsonRowsExports {
  configure(pow5At: number, pow5InvAt: number, scratchAt: number): void;
  encodeRows(rows: number, n: number, size: number, program: number, fields: number, out: number, full: number, end: number, maxRow: number, first: number): number;
  formatDouble(at: number, x: number): number;
  outPos: { value: number };
  POW5_BITS: { value: number };
  POW5_INV_BITS: { value: number };
  POW5_ENTRIES: { value: number };
  POW5_INV_ENTRIES: { value: number };
}

const TABLES_AT = 65536;
const OP_BYTES = 24;
/** Rows copied in per step: well inside the processor's second-level cache. */
const BLOCK_BYTES = 128 * 1024;
const KINDS: Record<string, number> = { i1: 0, u1: 1, b1: 2, i2: 3, u2: 4, i4: 5, u4: 6, i8: 7, M8: 7, m8: 7, u8: 8, f4: 9, f8: 10 };

const align = (x: number, to: number) => Math.ceil(x / to) * to;

/** ceil(log2(5^e)) for e ≥ 1, 1 for e = 0: Ryu's scale of each table entry. */
const pow5bits = (e: number): number => ((e * 1217359) >>> 19) + 1;

/**
 * Ryu's tables, exactly: entry i of `pow5` is 5^i scaled to `bits` bits (floor), of `pow5Inv` 2^(pow5bits(i)−1+bits)
 * divided by 5^i, plus one (so the products never fall short). 16 bytes each, low 64 bits first.
 */
export function powersOfFiveTables(entries: number, invEntries: number, bits: number, invBits: number): { pow5: Uint8Array; pow5Inv: Uint8Array } {
  const put = (table: DataView, i: number, v: bigint) => {
    table.setBigUint64(16 * i, v & 0xffffffffffffffffn, true);
    table.setBigUint64(16 * i + 8, v >> 64n, true);
  };
  const pow5 = new DataView(new ArrayBuffer(16 * entries));
  const pow5Inv = new DataView(new ArrayBuffer(16 * invEntries));
  for (let i = 0; i < Math.max(entries, invEntries); i++) {
    const p = 5n ** BigInt(i);
    const shift = pow5bits(i) - bits;
    if (i < entries) put(pow5, i, shift >= 0 ? p >> BigInt(shift) : p << BigInt(-shift));
    if (i < invEntries) put(pow5Inv, i, (1n << BigInt(pow5bits(i) - 1 + invBits)) / p + 1n);
  }
  return { pow5: new Uint8Array(pow5.buffer), pow5Inv: new Uint8Array(pow5Inv.buffer) };
}

interface JsonRowsInstance {
  memory: WebAssembly.Memory;
  x: JsonRowsExports;
  programAt: number;
}
/** This thread's instance, once made. */
let instance: JsonRowsInstance | undefined;

/**
 * The instance, made on first use; undefined where no WebAssembly memory can be had (asked again on later replies:
 * wasmMemory refuses at once for a minute after a failure, then tries again).
 */
function jsonRows(): JsonRowsInstance | undefined {
  if (instance) return instance;
  instance = ifWasmMemory(() => {
    const memory = wasmMemory(4 * TABLES_AT, 'the JSON encoder', false);
    const x = new WebAssembly.Instance(wasmModule('json-rows'), { env: { memory, abort: () => { throw new Error('json-rows WebAssembly aborted'); } } }).exports as unknown as JsonRowsExports;
    const { pow5, pow5Inv } = powersOfFiveTables(x.POW5_ENTRIES.value, x.POW5_INV_ENTRIES.value, x.POW5_BITS.value, x.POW5_INV_BITS.value);
    const pow5InvAt = TABLES_AT + pow5.length;
    const scratchAt = align(pow5InvAt + pow5Inv.length, 16);
    const bytes = new Uint8Array(memory.buffer);
    bytes.set(pow5, TABLES_AT);
    bytes.set(pow5Inv, pow5InvAt);
    x.configure(TABLES_AT, pow5InvAt, scratchAt);
    return { memory, x, programAt: align(scratchAt + 32 + 200, 16) };
  });
  return instance;
}

/** The kind code of a field the WebAssembly encoder writes: numbers and booleans, scalars and 1-D lists. */
function kindOf(f: FieldLayout): number | undefined {
  if (f.shape.length > 1) return undefined;
  return KINDS[`${f.kind}${f.elementSize}`];
}

/** A dtype's field program with its key texts, laid out for `programAt`. */
function fieldProgram(layout: RecordLayout, programAt: number): Uint8Array | undefined {
  const kinds = layout.fields.map(kindOf);
  if (layout.fields.length === 0 || kinds.some((k) => k === undefined)) return undefined;
  const keys = layout.fields.map((f, i) => Buffer.from(`${i === 0 ? '{' : ','}${JSON.stringify(f.name)}:`, 'utf8'));
  const program = new Uint8Array(OP_BYTES * keys.length + keys.reduce((a, k) => a + k.length, 0));
  const ops = new DataView(program.buffer);
  let keyAt = OP_BYTES * keys.length;
  layout.fields.forEach((f, i) => {
    const op = OP_BYTES * i;
    ops.setInt32(op, kinds[i]!, true);
    ops.setInt32(op + 4, f.offset, true);
    ops.setInt32(op + 8, f.shape.length === 0 ? 0 : f.count, true);
    ops.setInt32(op + 12, programAt + keyAt, true);
    ops.setInt32(op + 16, keys[i]!.length, true);
    ops.setInt32(op + 20, f.elementSize, true);
    program.set(keys[i]!, keyAt);
    keyAt += keys[i]!.length;
  });
  return program;
}

/** The text of one step, a view of the WebAssembly memory valid until the next step, and the rows it holds. */
export interface EncodedStep {
  text: Uint8Array;
  written: number;
}

/** The WebAssembly encoder for one dtype (on this thread's shared instance). */
export class WasmJsonRows {
  private constructor(
    private readonly instance: JsonRowsInstance,
    private readonly layout: RecordLayout,
    private readonly program: Uint8Array,
    /** The most bytes a row takes, with its comma. */
    private readonly maxRow: number,
  ) {}

  /** The encoder for `layout`, or undefined where it cannot write the dtype or no WebAssembly memory can be had. */
  static for(layout: RecordLayout, maxRow: number): WasmJsonRows | undefined {
    const rows = jsonRows();
    const program = rows ? fieldProgram(layout, rows.programAt) : undefined;
    return rows && program ? new WasmJsonRows(rows, layout, program, maxRow) : undefined;
  }

  /**
   * The rows of `part` as JSON text, in steps that each end once chunkBytes is reached: `[` first when `open`, each
   * row after a comma unless `first` and it is the first row.
   */
  *encode(part: Uint8Array, first: boolean, open: boolean, chunkBytes: number): Generator<EncodedStep> {
    const { memory, x, programAt } = this.instance;
    const { program, maxRow } = this;
    const size = this.layout.itemsize;
    const perBlock = Math.max(1, Math.floor(BLOCK_BYTES / size));
    const rowsAt = align(programAt + program.length, 16);
    const outAt = align(rowsAt + perBlock * size, 16);
    const end = outAt + chunkBytes + maxRow + 1; // a row started below chunkBytes fits (and the opening bracket)
    growWasmMemory(memory, end + 16, 'the JSON encoder'); // keys are copied 8 bytes at a time, up to 7 past their end
    const n = part.length / size;
    const fields = this.layout.fields.length;
    let i = 0;
    let bytesPerRow = 1; // of the rows written so far
    while (i < n || open) {
      // One step: everything it needs is copied in now (another reply's step may have run since the last).
      const bytes = new Uint8Array(memory.buffer);
      bytes.set(program, programAt);
      let pos = outAt;
      if (open) {
        bytes[pos++] = 91; // '['
        open = false;
      }
      let written = 0;
      while (i < n && pos - outAt < chunkBytes) {
        // Rows that do not fit are copied again in the next step: copy about as many as the room left takes.
        const count = Math.min(perBlock, n - i, Math.ceil((end - pos) / bytesPerRow) + 1);
        bytes.set(part.subarray(i * size, (i + count) * size), rowsAt);
        const k = x.encodeRows(rowsAt, count, size, programAt, fields, pos, outAt + chunkBytes, end, maxRow, first ? 1 : 0);
        if (k > 0) {
          first = false;
          bytesPerRow = (x.outPos.value - pos) / k;
        }
        i += k;
        written += k;
        pos = x.outPos.value;
        if (k < count) break; // chunkBytes reached
      }
      yield { text: bytes.subarray(outAt, pos), written };
    }
  }
}

/** The float formatter alone, for scripts/check-json-floats.mjs; undefined where no WebAssembly memory can be had. */
export function jsonFloatFormatter(): { matches(x: number, text: string): boolean; text(x: number): string } | undefined {
  const rows = jsonRows();
  if (!rows) return undefined;
  const { memory, x, programAt } = rows;
  const bytes = () => new Uint8Array(memory.buffer);
  return {
    matches(value, text) {
      const end = x.formatDouble(programAt, value);
      if (end - programAt !== text.length) return false;
      const b = bytes();
      for (let k = 0; k < text.length; k++) if (b[programAt + k] !== text.charCodeAt(k)) return false;
      return true;
    },
    text(value) {
      const end = x.formatDouble(programAt, value);
      return Buffer.from(bytes().subarray(programAt, end)).toString('latin1');
    },
  };
}
