#!/bin/bash
# Start (or verify) a single-node Slurm for tests and CI on Debian without systemd; idempotent.
#
# Installs munge + slurmctld + slurmd + slurm-client + slurm-wlm-torque if missing, writes
# /etc/slurm/slurm.conf, starts the daemons, and proves the cluster works with one real job.
# Exits non-zero with a clear message when Slurm cannot start: CI must fail, not skip.
#
# Environment:
#   SLURM_MIN_JOB_AGE   seconds finished jobs stay in squeue/scontrol (default 300, min 2)
#   SLURM_CPUS          CPUs the node advertises (default 16; config_overrides lets it exceed the real count)
#   SLURM_MEM_MB        RealMemory of the node in MB (default 16000)
#   SLURM_KILL_WAIT     seconds between SIGTERM and SIGKILL at cancel/time limit (default 10)
#   DAQFLOW_SLURM_DIR   state, spool, pid and log folder (default /var/lib/daqflow-slurm)
#   SLURM_UP_TIMEOUT    seconds to wait for each step (default 60)
set -euo pipefail

started=$(date +%s.%N)
MIN_JOB_AGE=${SLURM_MIN_JOB_AGE:-300}
CPUS=${SLURM_CPUS:-16}
MEM_MB=${SLURM_MEM_MB:-16000}
KILL_WAIT=${SLURM_KILL_WAIT:-10}
DIR=${DAQFLOW_SLURM_DIR:-/var/lib/daqflow-slurm}
TIMEOUT=${SLURM_UP_TIMEOUT:-60}
CONF=/etc/slurm/slurm.conf
HOST=$(hostname -s)

die() { echo "slurm-up: ERROR: $*" >&2; for f in "$DIR/log/slurmctld.log" "$DIR/log/slurmd.log"; do [ -f "$f" ] && { echo "--- tail $f" >&2; tail -n 15 "$f" >&2; }; done; exit 1; }
say() { echo "slurm-up: $*" >&2; }
# wait_for <description> <command...>: retry every 0.2 s until the command succeeds or TIMEOUT passes.
wait_for() {
  local what=$1; shift
  local deadline=$(( $(date +%s) + TIMEOUT ))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || die "timed out after ${TIMEOUT}s waiting for $what"
    sleep 0.2
  done
}

[ "$(id -u)" = 0 ] || die "must run as root (it installs packages and starts daemons)"
[ "$MIN_JOB_AGE" -ge 2 ] 2>/dev/null || die "SLURM_MIN_JOB_AGE must be an integer >= 2, got '$MIN_JOB_AGE'"

# 1. Packages (skipped when present).
need=()
for p in munge slurmctld slurmd slurm-client slurm-wlm-torque; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "${need[@]}" >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y --no-install-recommends "${need[@]}" >/dev/null; } \
    || die "apt-get install ${need[*]} failed"
fi

# 2. munge.
mkdir -p /run/munge && chown munge:munge /run/munge && chmod 0755 /run/munge
if [ ! -s /etc/munge/munge.key ]; then
  if [ -x /usr/sbin/mungekey ]; then /usr/sbin/mungekey --create --force >/dev/null
  else dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none; fi
  chown munge:munge /etc/munge/munge.key && chmod 0400 /etc/munge/munge.key
fi
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  say "starting munged"
  rm -f /run/munge/munged.pid
  runuser -u munge -- /usr/sbin/munged || die "munged did not start"
  wait_for "munge to answer (munge -n | unmunge)" sh -c 'munge -n | unmunge'
fi

# 3. slurm.conf (rewritten only when it changes).
mkdir -p "$DIR"/{ctld,spool,log,run}
new=$(cat <<EOF
# Written by daqflow scripts/slurm-up.sh: a single-node test cluster.
ClusterName=daqflow
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CryptoType=crypto/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$DIR/log/jobcomp.txt
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
DependencyParameters=kill_invalid_depend
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SlurmdParameters=config_overrides
MinJobAge=$MIN_JOB_AGE
KillWait=$KILL_WAIT
MailProg=/bin/true
StateSaveLocation=$DIR/ctld
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
MaxArraySize=100001
MaxJobCount=100000
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF
)
changed=0
if [ ! -f "$CONF" ] || [ "$(cat "$CONF")" != "$new" ]; then
  printf '%s\n' "$new" > "$CONF.tmp" && mv -f "$CONF.tmp" "$CONF"
  changed=1
fi

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
ctld_up() { scontrol ping 2>/dev/null | grep -q 'is UP'; }

# 4. Daemons. A changed config is applied by restarting both daemons with SIGTERM, as `systemctl restart` does:
#    slurmctld saves its job state (the job id sequence included) on the way down, and jobs keep running under their
#    slurmstepd. Not `scontrol reconfigure`: in Slurm 22.05 that hands out ids of purged array tasks again (seen: a
#    probe job got the id of a task of an array finished a second before), and a reused id whose old batch-script
#    files linger made slurmctld exit ("Unable to load job batch script", fatal) in the middle of a test run.
if [ "$changed" = 1 ]; then
  for d in slurmctld slurmd; do
    if alive "$DIR/run/$d.pid"; then
      say "config changed: restarting $d"
      pid=$(cat "$DIR/run/$d.pid"); kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      if kill -0 "$pid" 2>/dev/null; then die "$d (pid $pid) did not stop within 30 s of SIGTERM"; fi
    fi
  done
fi
if ! alive "$DIR/run/slurmctld.pid" || ! ctld_up; then
  say "starting slurmctld"
  /usr/sbin/slurmctld || die "slurmctld did not start"
fi
wait_for "slurmctld (scontrol ping says UP)" ctld_up
if ! alive "$DIR/run/slurmd.pid"; then
  say "starting slurmd"
  /usr/sbin/slurmd || die "slurmd did not start"
fi
# A test node drained by a controller that lost its state (e.g. killed with jobs in flight: "Duplicate jobid") is
# resumed, as an operator would; this is a throwaway single-node test cluster.
if sinfo -h -n "$HOST" -o %T 2>/dev/null | grep -Eq '^(drain|drained|draining)'; then
  say "resuming drained node $HOST"
  scontrol update nodename="$HOST" state=resume || die "could not resume node $HOST"
fi
wait_for "node $HOST to be idle or mixed in sinfo" sh -c "sinfo -h -n '$HOST' -o %T | grep -Eq '^(idle|mixed|allocated)'"

# 5. Prove it: one real job, polled with squeue (sbatch --wait polls too slowly).
probe=$DIR/run/probe.sh
printf '#!/bin/sh\ntrue\n' > "$probe"
id=$(sbatch --parsable -J daqflow-probe -o /dev/null -e /dev/null "$probe" 2>&1) || die "sbatch failed: $id"
id=${id%%;*}
deadline=$(( $(date +%s) + TIMEOUT ))
while :; do
  state=$(squeue -h -t all -j "$id" -o %T 2>/dev/null || true)
  [ "$state" = COMPLETED ] && break
  case "$state" in FAILED|CANCELLED*|TIMEOUT|NODE_FAIL|BOOT_FAIL|OUT_OF_MEMORY) die "probe job $id ended $state";; esac
  [ "$(date +%s)" -lt "$deadline" ] || die "probe job $id did not complete within ${TIMEOUT}s (state '${state:-gone}')"
  sleep 0.1
done
elapsed=$(echo "$(date +%s.%N) - $started" | bc 2>/dev/null || awk "BEGIN{print $(date +%s.%N) - $started}")
printf 'slurm-up: Slurm ready on %s (MinJobAge=%s, CPUs=%s, probe job %s completed) in %.1f s\n' \
  "$HOST" "$MIN_JOB_AGE" "$CPUS" "$id" "$elapsed" >&2
