// Writes and renames strax-like dataset folders of run 000002 in a loop until killed (listing race test).
import fs from 'node:fs';
import path from 'node:path';

const root = process.argv[2];
process.stdout.write('ready\n');
for (let i = 0; ; i++) {
  const final = path.join(root, `000002-records-h${String(i).padStart(9, '0')}`);
  const temp = `${final}_temp`;
  fs.mkdirSync(temp);
  fs.writeFileSync(path.join(temp, `records-h${String(i).padStart(9, '0')}-metadata.json`), '{"chunks": []}');
  fs.writeFileSync(path.join(temp, `records-h${String(i).padStart(9, '0')}-000000_temp`), 'x');
  fs.renameSync(path.join(temp, `records-h${String(i).padStart(9, '0')}-000000_temp`), path.join(temp, `records-h${String(i).padStart(9, '0')}-000000`));
  fs.renameSync(temp, final);
  // Keep the ten newest: the listing races with removals too, and the folder count stays bounded.
  if (i >= 10) fs.rmSync(path.join(root, `000002-records-h${String(i - 10).padStart(9, '0')}`), { recursive: true, force: true });
}
