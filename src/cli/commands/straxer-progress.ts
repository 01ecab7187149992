// straxer's terminal output: a cli-progress bar (TTY) or plain progress lines, and the final summary table.
import cliProgress from 'cli-progress';
import type { StraxerSummary } from '../../stages/straxer.js';

export function progressReporter(tty: boolean, run: string) {
  let bar: cliProgress.SingleBar | undefined;
  let lastLine = 0;
  return {
    update(p: { segment: number; segments: number; bytesIn: number }) {
      const mb = (p.bytesIn / 1e6).toFixed(1);
      if (tty) {
        if (!bar) {
          bar = new cliProgress.SingleBar({ format: `${run} [{bar}] {value}/{total} chunks | {mb} MB | {eta_formatted}`, stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic);
          bar.start(p.segments, 0, { mb });
        }
        bar.update(p.segment, { mb });
      } else if (p.segment === p.segments || Date.now() - lastLine > 5000) {
        lastLine = Date.now();
        process.stderr.write(`straxer: ${run} chunk ${p.segment}/${p.segments}, ${mb} MB read\n`);
      }
    },
    stop() {
      bar?.stop();
    },
    summary(s: StraxerSummary): string {
      const lines = [`run ${s.run}: ${s.targets.join(', ')} (${s.engine} engine, ${s.workers} worker${s.workers === 1 ? '' : 's'})`];
      lines.push(`  ${'data type'.padEnd(14)} ${'source'.padEnd(9)} ${'rows'.padStart(10)} ${'MB'.padStart(9)} ${'chunks'.padStart(6)}  lineage`);
      for (const p of s.products) {
        lines.push(`  ${p.data_type.padEnd(14)} ${p.source.padEnd(9)} ${String(p.rows).padStart(10)} ${p.size_mb.toFixed(2).padStart(9)} ${String(p.n_chunks).padStart(6)}  ${p.lineage_hash}`);
      }
      lines.push(`  ${(s.bytes_in / 1e6).toFixed(1)} MB read in ${s.seconds.toFixed(1)} s: ${s.mb_per_s.toFixed(1)} MB/s`);
      return lines.join('\n') + '\n';
    },
  };
}
