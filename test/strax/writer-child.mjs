// Child process for the kill test: writes two chunks through dist/, says "ready", then hangs until killed.
import { DataDirectory, recordDtype } from '../../dist/strax/index.js';

const [root] = process.argv.slice(2);
const layout = recordDtype();
const t0 = 1712345678901234560n;
const rows = (n, t) => {
  const b = new Uint8Array(n * layout.itemsize);
  const v = new DataView(b.buffer);
  for (let i = 0; i < n; i++) {
    v.setBigInt64(i * layout.itemsize, t + BigInt(i * 1000), true);
    v.setInt32(i * layout.itemsize + 8, 10, true);
    v.setInt16(i * layout.itemsize + 12, 10, true);
  }
  return b;
};
const saver = await new DataDirectory(root).save({ runId: '000777', dataType: 'records', dtype: layout, lineage: { records: ['R', '0.0.1', {}] }, compressor: 'zstd' });
await saver.save({ start: t0, end: t0 + 1_000_000n, data: rows(500, t0) });
await saver.save({ start: t0 + 1_000_000n, end: t0 + 2_000_000n, data: rows(500, t0 + 1_000_000n) });
await saver.flush();
process.stdout.write('ready\n');
setInterval(() => {}, 1000);
