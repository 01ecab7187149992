#!/bin/bash
#SBATCH --job-name=daqflow_array
#SBATCH --output=/data/daqflow-work/jobs/2026-11/daqflow_array-20261121T060000Z-beef.sched.log
#SBATCH --open-mode=append
#SBATCH --partition=xenon1t
#SBATCH --account=pi-lgrandi
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=4
#SBATCH --mem=8192M
#SBATCH --time=120
#SBATCH --array=0-2%2
#SBATCH --dependency=afterok:4242
#SBATCH --gres=gpu:1
# daqflow job script for daqflow_array; rendered by daqflow, do not edit.
job_stem=/data/daqflow-work/jobs/2026-11/daqflow_array-20261121T060000Z-beef
walltime_s=7200
is_array=1
set -u
umask 022
task=${DAQFLOW_TASK_ID:-${SLURM_ARRAY_TASK_ID:-${PBS_ARRAY_INDEX:-${PBS_ARRAYID:-}}}}
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
job_id=${SLURM_JOB_ID:-${PBS_JOBID:-${DAQFLOW_JOB_ID:-}}}
start_s=$(date +%s)
# write_status [line…]: the whole status file, replaced atomically (temp file + mv).
write_status() {
  local tmp=$status_file.tmp.$$
  {
    printf 'format=daqflow-job-status/1\njob=%s\ntask=%s\nscheduler_job_id=%s\nhost=%s\npid=%s\nwalltime_s=%s\nstart=%s\n' \
      "$job_stem" "$task" "$job_id" "${HOSTNAME:-}" "$$" "$walltime_s" "$start_s"
    if [ $# -gt 0 ]; then printf '%s\n' "$@"; fi
  } >"$tmp" && mv -f "$tmp" "$status_file"
}
write_status
export STRAX_DEBUG='it'\''s on'
export OMP_NUM_THREADS=4
argv=()
while IFS= read -r line || [ -n "$line" ]; do
  if [ "${line%%$'\t'*}" = "$task" ]; then argv+=("${line#*$'\t'}"); fi
done <"$job_stem.tasks"
if [ ${#argv[@]} -eq 0 ]; then
  echo "daqflow: task $task has no command in $job_stem.tasks" >&2
  write_status "end=$(date +%s)" "exit=2" "signal="
  exit 2
fi
# The payload runs as a child so a TERM (cancel, time limit) is recorded before the script ends.
sig=
child=
trap 'sig=TERM; [ -n "$child" ] && kill -TERM "$child" 2>/dev/null' TERM
trap 'sig=INT; [ -n "$child" ] && kill -INT "$child" 2>/dev/null' INT
trap 'sig=HUP; [ -n "$child" ] && kill -HUP "$child" 2>/dev/null' HUP
"${argv[@]}" </dev/null &
child=$!
rc=0
while :; do
  wait "$child"
  rc=$?
  kill -0 "$child" 2>/dev/null || break
done
write_status "end=$(date +%s)" "exit=$rc" "signal=$sig"
exit "$rc"
