// MongoDB wire protocol framing for the test server: parse OP_MSG / OP_QUERY, encode OP_MSG / OP_REPLY.
import { BSON, Long, type Document } from 'bson';
// Numbers stay Int32 / Double / Long: the server keeps BSON types as mongod does.
import { STRICT_DESERIALIZE as DESERIALIZE } from './bson-values.js';

export const OP_REPLY = 1;
export const OP_QUERY = 2004;
export const OP_COMPRESSED = 2012;
export const OP_MSG = 2013;

export const MSG_CHECKSUM_PRESENT = 1 << 0;
export const MSG_MORE_TO_COME = 1 << 1;
export const MSG_EXHAUST_ALLOWED = 1 << 16;

export interface Header {
  length: number;
  requestId: number;
  responseTo: number;
  opCode: number;
}

/** A decoded request: the command document (kind-1 sequences merged in as arrays) and how to answer. */
export interface Request {
  header: Header;
  kind: 'msg' | 'query';
  command: Document;
  /** The client does not want a reply (OP_MSG moreToCome). */
  moreToCome: boolean;
  /** OP_QUERY only: the namespace it was sent to (e.g. admin.$cmd). */
  namespace?: string;
}


export function readHeader(buf: Buffer): Header {
  return {
    length: buf.readInt32LE(0),
    requestId: buf.readInt32LE(4),
    responseTo: buf.readInt32LE(8),
    opCode: buf.readInt32LE(12),
  };
}

/** Decodes one complete message (`buf` holds exactly `header.length` bytes). */
export function decodeMessage(buf: Buffer): Request {
  const header = readHeader(buf);
  if (header.opCode === OP_MSG) return decodeOpMsg(header, buf);
  if (header.opCode === OP_QUERY) return decodeOpQuery(header, buf);
  throw new Error(`unsupported opCode ${header.opCode}`);
}

function decodeOpMsg(header: Header, buf: Buffer): Request {
  const flags = buf.readUInt32LE(16);
  // The trailing CRC-32C is not verified (a test server trusts its loopback peer), only skipped.
  const end = flags & MSG_CHECKSUM_PRESENT ? buf.length - 4 : buf.length;
  let offset = 20;
  let body: Document | undefined;
  const sequences: Array<[string, Document[]]> = [];
  while (offset < end) {
    const kind = buf.readUInt8(offset);
    offset += 1;
    if (kind === 0) {
      const size = buf.readInt32LE(offset);
      body = BSON.deserialize(buf.subarray(offset, offset + size), DESERIALIZE);
      offset += size;
    } else if (kind === 1) {
      const size = buf.readInt32LE(offset);
      const sectionEnd = offset + size;
      let p = offset + 4;
      const nul = buf.indexOf(0, p);
      const identifier = buf.toString('utf8', p, nul);
      p = nul + 1;
      const docs: Document[] = [];
      while (p < sectionEnd) {
        const docSize = buf.readInt32LE(p);
        docs.push(BSON.deserialize(buf.subarray(p, p + docSize), DESERIALIZE));
        p += docSize;
      }
      sequences.push([identifier, docs]);
      offset = sectionEnd;
    } else {
      throw new Error(`unsupported OP_MSG section kind ${kind}`);
    }
  }
  if (!body) throw new Error('OP_MSG without a kind-0 body section');
  for (const [identifier, docs] of sequences) {
    const existing = body[identifier];
    body[identifier] = Array.isArray(existing) ? [...existing, ...docs] : docs;
  }
  return { header, kind: 'msg', command: body, moreToCome: (flags & MSG_MORE_TO_COME) !== 0 };
}

function decodeOpQuery(header: Header, buf: Buffer): Request {
  let offset = 20; // header (16) + flags (4)
  const nul = buf.indexOf(0, offset);
  const namespace = buf.toString('utf8', offset, nul);
  offset = nul + 1 + 8; // numberToSkip, numberToReturn
  const size = buf.readInt32LE(offset);
  let command = BSON.deserialize(buf.subarray(offset, offset + size), DESERIALIZE);
  // Legacy drivers wrap the command as {$query: {...}, $readPreference: ...}.
  if (command.$query && typeof command.$query === 'object') command = command.$query as Document;
  return { header, kind: 'query', command, moreToCome: false, namespace };
}

let nextRequestId = 1;

function header(length: number, responseTo: number, opCode: number): Buffer {
  const h = Buffer.alloc(16);
  h.writeInt32LE(length, 0);
  h.writeInt32LE(nextRequestId++ & 0x7fffffff, 4);
  h.writeInt32LE(responseTo, 8);
  h.writeInt32LE(opCode, 12);
  return h;
}

/** OP_MSG reply: flags 0, one kind-0 section. */
export function encodeOpMsg(responseTo: number, doc: Document): Buffer {
  const body = BSON.serialize(doc);
  const flagsAndKind = Buffer.alloc(5); // flagBits = 0, section kind = 0
  return Buffer.concat([header(16 + 5 + body.length, responseTo, OP_MSG), flagsAndKind, body]);
}

/** OP_REPLY for the legacy OP_QUERY handshake: one document, cursor id 0. */
export function encodeOpReply(responseTo: number, doc: Document): Buffer {
  const body = BSON.serialize(doc);
  const fixed = Buffer.alloc(20);
  fixed.writeInt32LE(0, 0); // responseFlags
  const cursorId = Long.ZERO;
  fixed.writeInt32LE(cursorId.low, 4);
  fixed.writeInt32LE(cursorId.high, 8);
  fixed.writeInt32LE(0, 12); // startingFrom
  fixed.writeInt32LE(1, 16); // numberReturned
  return Buffer.concat([header(16 + 20 + body.length, responseTo, OP_REPLY), fixed, body]);
}

/** Splits complete messages off the front of a connection's receive buffer. */
export class MessageReader {
  private buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const messages: Buffer[] = [];
    while (this.buffer.length >= 4) {
      const length = this.buffer.readInt32LE(0);
      if (length < 16 || length > 48 * 1024 * 1024) throw new Error(`bad message length ${length}`);
      if (this.buffer.length < length) break;
      messages.push(this.buffer.subarray(0, length));
      this.buffer = this.buffer.subarray(length);
    }
    return messages;
  }
}
