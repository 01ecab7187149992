#!/bin/bash
# Stop the test WebDAV nginx that scripts/nginx-up.sh started; idempotent (nothing running is success). Data is kept.
set -euo pipefail

DIR=${DAQFLOW_NGINX_DIR:-/var/lib/daqflow-nginx}
PIDFILE="$DIR/run/nginx.pid"
TIMEOUT=${NGINX_DOWN_TIMEOUT:-30}

if [ ! -s "$PIDFILE" ] || ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
  echo "nginx-down: not running" >&2
  rm -f "$PIDFILE"
  exit 0
fi
pid=$(cat "$PIDFILE")
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
"$NGINX" -c "$DIR/nginx.conf" -s quit 2>/dev/null || kill -TERM "$pid"
deadline=$(( $(date +%s) + TIMEOUT ))
while kill -0 "$pid" 2>/dev/null; do
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "nginx-down: nginx (pid $pid) did not quit within ${TIMEOUT}s; sending SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
    break
  fi
  sleep 0.2
done
rm -f "$PIDFILE"
echo "nginx-down: stopped" >&2
