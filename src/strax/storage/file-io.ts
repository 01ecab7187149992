// Whole-file read/write in one threadpool request each (fs.readFile/writeFile go in 512 kB steps that need the
// main thread between steps, which defeats overlapping I/O with a synchronous codec).
import fsSync from 'node:fs';
import fs from 'node:fs/promises';

/**
 * Read a whole file. Open and stat are synchronous (microseconds), so the one read request is in the threadpool
 * before this returns its promise: it proceeds while the caller's thread is busy in a synchronous codec (awaiting
 * open, stat and read in turn would need that thread between steps). With `bufferFor`, the bytes go into the buffer
 * it gives for the file's size, if that is large enough (the result is a view of it): reusing buffers avoids fresh
 * page faults per chunk.
 */
export function readWhole(file: string, bufferFor?: (size: number) => Buffer | undefined): Promise<Buffer> {
  let fd: number;
  try {
    fd = fsSync.openSync(file, 'r');
  } catch (error) {
    return Promise.reject(error);
  }
  const size = fsSync.fstatSync(fd).size;
  const reuse = bufferFor?.(size);
  const buf = reuse && reuse.length >= size ? reuse.subarray(0, size) : Buffer.allocUnsafe(size);
  const readFrom = (off: number): Promise<number> =>
    new Promise((resolve, reject) => fsSync.read(fd, buf, off, size - off, off, (error, n) => (error ? reject(error) : resolve(n))));
  return (async () => {
    try {
      let off = 0;
      while (off < size) {
        const n = await readFrom(off);
        if (n === 0) break;
        off += n;
      }
      return off === size ? buf : buf.subarray(0, off);
    } finally {
      fsSync.closeSync(fd);
    }
  })();
}

export async function writeWhole(file: string, data: Uint8Array): Promise<void> {
  const fh = await fs.open(file, 'w');
  try {
    let off = 0;
    while (off < data.length) {
      const { bytesWritten } = await fh.write(data, off, data.length - off, off);
      off += bytesWritten;
    }
  } finally {
    await fh.close();
  }
}
