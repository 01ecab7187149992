// Whole-file read/write in one threadpool request each (fs.readFile/writeFile go in 512 kB steps that need the
// main thread between steps, which defeats overlapping I/O with a synchronous codec).
import fs from 'node:fs/promises';

/**
 * Read a whole file. With `reuse`, the bytes go into that buffer when it is large enough (the result is a view of
 * it): a reader that alternates two buffers avoids faulting in fresh pages for every chunk of tens of MB.
 */
export async function readWhole(file: string, reuse?: Buffer): Promise<Buffer> {
  const fh = await fs.open(file, 'r');
  try {
    const { size } = await fh.stat();
    const buf = reuse && reuse.length >= size ? reuse.subarray(0, size) : Buffer.allocUnsafe(size);
    let off = 0;
    while (off < size) {
      const { bytesRead } = await fh.read(buf, off, size - off, off);
      if (bytesRead === 0) break;
      off += bytesRead;
    }
    return off === size ? buf : buf.subarray(0, off);
  } finally {
    await fh.close();
  }
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
