// Deterministic ustar writing and reading, streamed: fixed owner, mode and mtime, so the same files give the same bytes.
import { Readable } from 'node:stream';
import { DaqflowError } from '../errors.js';

const BLOCK = 512;
const MAX_OCTAL_SIZE = 0o77777777777; // 11 octal digits; larger sizes use the base-256 form GNU tar and Python read

export interface TarEntry {
  /** Path inside the archive, '/'-separated, no leading '/' and no '..'. */
  name: string;
  size: number;
  /** Opens the content; it must yield exactly `size` bytes. */
  open(): Iterable<Uint8Array> | AsyncIterable<Uint8Array> | Readable;
}

/** Bytes a tar of files with these sizes takes, end blocks included (for Content-Length). */
export function tarSize(sizes: readonly number[]): number {
  return sizes.reduce((sum, size) => sum + BLOCK + Math.ceil(size / BLOCK) * BLOCK, 0) + 2 * BLOCK;
}

function splitName(name: string): { name: string; prefix: string } {
  if (name.startsWith('/') || name.split('/').some((part) => part === '..' || part === '')) {
    throw new DaqflowError(`tar entry ${JSON.stringify(name)}: must be a relative path without empty or '..' parts`);
  }
  if (Buffer.byteLength(name) <= 100) return { name, prefix: '' };
  for (let i = name.indexOf('/'); i !== -1; i = name.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100) return { name: rest, prefix };
  }
  throw new DaqflowError(`tar entry ${JSON.stringify(name)}: path too long for ustar (100 + 155 bytes)`);
}

function writeOctal(header: Buffer, offset: number, length: number, value: number): void {
  header.write(value.toString(8).padStart(length - 1, '0') + '\0', offset, length, 'ascii');
}

function writeSize(header: Buffer, size: number): void {
  if (size <= MAX_OCTAL_SIZE) return writeOctal(header, 124, 12, size);
  header[124] = 0x80;
  let rest = BigInt(size);
  for (let i = 135; i > 124; i--, rest >>= 8n) header[i] = Number(rest & 0xffn);
}

/** One 512-byte ustar header: regular file, mode 0644, uid/gid 0, mtime 0. */
export function tarHeader(entryName: string, size: number): Buffer {
  const { name, prefix } = splitName(entryName);
  const header = Buffer.alloc(BLOCK);
  header.write(name, 0, 100, 'utf8');
  writeOctal(header, 100, 8, 0o644);
  writeOctal(header, 108, 8, 0);
  writeOctal(header, 116, 8, 0);
  writeSize(header, size);
  writeOctal(header, 136, 12, 0);
  header.write('        ', 148, 8, 'ascii');
  header.write('0', 156, 1, 'ascii');
  header.write('ustar\0' + '00', 257, 8, 'ascii');
  header.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  return header;
}

/** The tar of `entries` in the given order as a stream; fails if a file does not yield its announced size. */
export function tarStream(entries: Iterable<TarEntry> | AsyncIterable<TarEntry>): Readable {
  async function* generate(): AsyncGenerator<Uint8Array> {
    for await (const entry of entries) {
      yield tarHeader(entry.name, entry.size);
      let written = 0;
      for await (const chunk of entry.open()) {
        written += (chunk as Uint8Array).length;
        if (written > entry.size) break;
        yield chunk as Uint8Array;
      }
      if (written !== entry.size) {
        throw new DaqflowError(`${entry.name}: expected ${entry.size} bytes, read ${written} (the file changed while being archived)`);
      }
      const pad = (BLOCK - (entry.size % BLOCK)) % BLOCK;
      if (pad > 0) yield Buffer.alloc(pad);
    }
    yield Buffer.alloc(2 * BLOCK);
  }
  return Readable.from(generate(), { objectMode: false, highWaterMark: 1 << 20 });
}

export interface ParsedEntry {
  name: string;
  size: number;
  /** The content, when the caller asked to keep it. */
  content?: Buffer;
}

function readOctal(block: Buffer, offset: number, length: number): number {
  if (block[offset]! & 0x80) {
    let value = 0n;
    for (let i = offset + 1; i < offset + length; i++) value = (value << 8n) | BigInt(block[i]!);
    return Number(value);
  }
  const text = block.toString('ascii', offset, offset + length).replace(/\0.*$/s, '').trim();
  return text === '' ? 0 : parseInt(text, 8);
}

function cString(block: Buffer, offset: number, length: number): string {
  const end = block.indexOf(0, offset);
  return block.toString('utf8', offset, end === -1 || end > offset + length ? offset + length : end);
}

function parseHeader(block: Buffer): ParsedEntry {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : block[i]!;
  if (sum !== readOctal(block, 148, 8)) throw new DaqflowError('not a tar archive (header checksum mismatch)');
  const prefix = cString(block, 345, 155);
  const name = cString(block, 0, 100);
  return { name: prefix ? `${prefix}/${name}` : name, size: readOctal(block, 124, 12) };
}

/**
 * Read a tar stream entry by entry. `keep(name, size)` says whether to hold an entry's content in memory
 * (small files only); other contents are skipped as they stream past, so memory stays bounded. `onChunk` sees every
 * entry's content as it streams past (e.g. to hash it).
 */
export async function parseTar(source: AsyncIterable<Uint8Array>, keep: (name: string, size: number) => boolean, onChunk?: (name: string, chunk: Buffer) => void): Promise<ParsedEntry[]> {
  const entries: ParsedEntry[] = [];
  let pending = Buffer.alloc(0);
  let current: { entry: ParsedEntry; left: number; pad: number; parts: Buffer[] | null } | null = null;
  let ended = false;
  for await (const chunk of source) {
    pending = pending.length ? Buffer.concat([pending, chunk]) : Buffer.from(chunk);
    for (;;) {
      if (current) {
        const take = Math.min(current.left, pending.length);
        if (take > 0 && current.parts) current.parts.push(pending.subarray(0, take));
        if (take > 0 && onChunk) onChunk(current.entry.name, pending.subarray(0, take));
        current.left -= take;
        pending = pending.subarray(take);
        if (current.left > 0) break;
        if (pending.length < current.pad) break;
        pending = pending.subarray(current.pad);
        if (current.parts) current.entry.content = Buffer.concat(current.parts);
        entries.push(current.entry);
        current = null;
      }
      if (ended || pending.length < BLOCK) break;
      const block = pending.subarray(0, BLOCK);
      pending = pending.subarray(BLOCK);
      if (block.every((b) => b === 0)) {
        ended = true;
        break;
      }
      const entry = parseHeader(block);
      current = { entry, left: entry.size, pad: (BLOCK - (entry.size % BLOCK)) % BLOCK, parts: keep(entry.name, entry.size) ? [] : null };
    }
    if (current?.parts === null) pending = Buffer.from(pending); // do not pin the big chunk a skipped entry came in
  }
  if (current || !ended) throw new DaqflowError('tar archive is truncated (no end-of-archive block)');
  return entries;
}
