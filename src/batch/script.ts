// The one job-script template (shebang, directives, prologue, command, epilogue); adapters supply directives only.
import { shellQuote } from '../util/run.js';
import type { JobFiles } from './job-files.js';
import type { JobSpec } from './types.js';

export interface Directive {
  key: string;
  /** Already shell-quoted (for the script). */
  value: string;
  /** The unquoted value (for command-line options, e.g. PBS). */
  raw: string;
}

/** The only way adapters build directives: every value is shell-quoted here. */
export function directive(key: string, value: string | number): Directive {
  return { key, value: shellQuote(String(value)), raw: String(value) };
}

/** `--key=value` for long options, `-k value` for short ones. */
export function formatDirective(d: Directive): string {
  return d.key.startsWith('--') ? `${d.key}=${d.value}` : `${d.key} ${d.value}`;
}

export interface ScriptDialect {
  /** `#SBATCH`, `#PBS`, or `#` for local (directives are then only a record). */
  prefix: string;
  directives: Directive[];
}

/** Generated lines minus skipped ones, then the raw extra lines from config. */
export function directiveLines(spec: JobSpec, dialect: ScriptDialect): string[] {
  const generated = dialect.directives
    .map((d) => `${dialect.prefix} ${formatDirective(d)}`)
    .filter((line) => !spec.skipDirectives.some((skip) => skip !== '' && line.includes(skip)));
  return [...generated, ...spec.extraDirectives.map((line) => `${dialect.prefix} ${line.trim()}`)];
}

/** The same directives as command-line arguments (unquoted; each extra line is split at its first space). */
export function directiveArgs(spec: JobSpec, dialect: ScriptDialect): string[] {
  const skipped = (d: Directive) => spec.skipDirectives.some((skip) => skip !== '' && `${dialect.prefix} ${formatDirective(d)}`.includes(skip));
  const args = dialect.directives.filter((d) => !skipped(d)).flatMap((d) => (d.key.startsWith('--') ? [`${d.key}=${d.raw}`] : [d.key, d.raw]));
  for (const line of spec.extraDirectives) {
    const m = /^(\S+)\s+(.*)$/.exec(line.trim());
    args.push(...(m ? [m[1]!, m[2]!] : [line.trim()]));
  }
  return args;
}

/** Task map file: one `<task>\t<argument>` line per argument, read by the script without eval. */
export function renderTaskMap(arrayCommands: readonly string[][]): string {
  return arrayCommands.map((argv, task) => argv.map((arg) => `${task}\t${arg}\n`).join('')).join('');
}

const PROLOGUE = String.raw`set -u
umask 022
task=${'$'}{DAQFLOW_TASK_ID:-${'$'}{SLURM_ARRAY_TASK_ID:-${'$'}{PBS_ARRAY_INDEX:-${'$'}{PBS_ARRAYID:-}}}}
if [ "$is_array" = 1 ]; then
  case $task in
    '' | *[!0-9]*) echo "daqflow: no array task index (DAQFLOW_TASK_ID, SLURM_ARRAY_TASK_ID, PBS_ARRAY_INDEX, PBS_ARRAYID)" >&2; exit 2 ;;
  esac
  files=$job_stem.$task
else
  task=
  files=$job_stem
fi
exec >>"$files.out" 2>>"$files.err"
status_file=$files.status
# The payload learns where its own evidence is: a job that records its state can then be followed even if the
# submitter died before recording the job.
export DAQFLOW_JOB_STATUS_FILE=$status_file DAQFLOW_JOB_STDOUT=$files.out DAQFLOW_JOB_STDERR=$files.err
job_id=${'$'}{SLURM_JOB_ID:-${'$'}{PBS_JOBID:-${'$'}{DAQFLOW_JOB_ID:-}}}
start_s=$(date +%s)
# write_status [line…]: the whole status file, replaced atomically (temp file + mv).
write_status() {
  local tmp=$status_file.tmp.$$
  {
    printf 'format=daqflow-job-status/1\njob=%s\ntask=%s\nscheduler_job_id=%s\nhost=%s\npid=%s\nwalltime_s=%s\nstart=%s\n' \
      "$job_stem" "$task" "$job_id" "${'$'}{HOSTNAME:-}" "$$" "$walltime_s" "$start_s"
    if [ $# -gt 0 ]; then printf '%s\n' "$@"; fi
  } >"$tmp" && mv -f "$tmp" "$status_file"
}
write_status`;

const READ_TASK = String.raw`argv=()
while IFS= read -r line || [ -n "$line" ]; do
  if [ "${'$'}{line%%$'\t'*}" = "$task" ]; then argv+=("${'$'}{line#*$'\t'}"); fi
done <"$job_stem.tasks"
if [ ${'$'}{#argv[@]} -eq 0 ]; then
  echo "daqflow: task $task has no command in $job_stem.tasks" >&2
  write_status "end=$(date +%s)" "exit=2" "signal="
  exit 2
fi`;

const RUN = String.raw`# The payload runs as a child so a TERM (cancel, time limit) is recorded before the script ends.
sig=
child=
trap 'sig=TERM; [ -n "$child" ] && kill -TERM "$child" 2>/dev/null' TERM
trap 'sig=INT; [ -n "$child" ] && kill -INT "$child" 2>/dev/null' INT
trap 'sig=HUP; [ -n "$child" ] && kill -HUP "$child" 2>/dev/null' HUP
"${'$'}{argv[@]}" </dev/null &
child=$!
rc=0
while :; do
  wait "$child"
  rc=$?
  kill -0 "$child" 2>/dev/null || break
done`;

const EPILOGUE = String.raw`write_status "end=$(date +%s)" "exit=$rc" "signal=$sig"
exit "$rc"`;

/** Render the job script. Every value that came from the spec is quoted; the script never evals. */
export function renderJobScript(spec: JobSpec, dialect: ScriptDialect, files: Pick<JobFiles, 'stem'>): string {
  const isArray = spec.arrayCommands !== undefined;
  const env = Object.entries(spec.env ?? {}).map(([key, value]) => `export ${key}=${shellQuote(value)}`);
  const command = isArray ? READ_TASK : `argv=(${spec.command.map(shellQuote).join(' ')})`;
  return [
    '#!/bin/bash',
    ...directiveLines(spec, dialect),
    `# daqflow job script for ${spec.name}; rendered by daqflow, do not edit.`,
    `job_stem=${shellQuote(files.stem)}`,
    `walltime_s=${spec.walltimeMin * 60}`,
    `is_array=${isArray ? 1 : 0}`,
    PROLOGUE,
    ...env,
    command,
    RUN,
    EPILOGUE,
    '',
  ].join('\n');
}
