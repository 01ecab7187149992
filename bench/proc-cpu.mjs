// CPU time from Linux's /proc stat files, for the benches that split it by process or thread.
import fs from 'node:fs';

/** utime + stime of a /proc stat file (a process: /proc/<pid>/stat, a thread: /proc/<pid>/task/<tid>/stat), in seconds. */
export function statCpuSeconds(file) {
  const st = fs.readFileSync(file, 'utf8');
  const f = st.slice(st.lastIndexOf(')') + 2).split(' '); // after the command name, which may hold spaces and ')'
  return (Number(f[11]) + Number(f[12])) / 100; // clock ticks of 1/100 s
}
