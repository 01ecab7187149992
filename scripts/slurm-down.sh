#!/bin/bash
# Stop the single-node test Slurm started by scripts/slurm-up.sh (slurmd, slurmctld, munged); idempotent.
# Environment: DAQFLOW_SLURM_DIR (default /var/lib/daqflow-slurm), SLURM_DOWN_KEEP_MUNGE=1 keeps munged.
set -uo pipefail
DIR=${DAQFLOW_SLURM_DIR:-/var/lib/daqflow-slurm}

stop() { # stop <name> <pidfile>
  local name=$1 pidfile=$2 pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile" 2>/dev/null) || return 0
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
    echo "slurm-down: stopped $name (pid $pid)" >&2
  fi
  rm -f "$pidfile"
}

stop slurmd "$DIR/run/slurmd.pid"
stop slurmctld "$DIR/run/slurmctld.pid"
if [ "${SLURM_DOWN_KEEP_MUNGE:-0}" != 1 ]; then
  stop munged /run/munge/munged.pid
fi
exit 0
