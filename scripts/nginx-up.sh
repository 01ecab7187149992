#!/bin/bash
# Start (or verify) a WebDAV archive server for tests and CI: Debian nginx, PUT + basic auth, on 127.0.0.1; idempotent.
#
# Installs nginx with apt-get if missing, writes its own nginx.conf under DAQFLOW_NGINX_DIR (the system
# nginx.conf and sites are left alone), starts it, and proves it works with a real PUT, GET and DELETE.
# Writes DAQFLOW_NGINX_DIR/server.json (url, username, password_file) for the tests.
# Exits non-zero with a clear message when nginx cannot start: CI must fail, not skip.
#
# Environment:
#   DAQFLOW_NGINX_DIR    config, data, temp, pid and log folder (default /var/lib/daqflow-nginx)
#   DAQFLOW_NGINX_PORT   port on 127.0.0.1 (default 18080)
#   DAQFLOW_NGINX_TLS_PORT  HTTPS port on 127.0.0.1 (default 18443; a self-signed certificate, its PEM in server.json's ca_file)
#   NGINX_UP_TIMEOUT     seconds to wait for nginx to answer (default 30)
set -euo pipefail

DIR=${DAQFLOW_NGINX_DIR:-/var/lib/daqflow-nginx}
PORT=${DAQFLOW_NGINX_PORT:-18080}
TLS_PORT=${DAQFLOW_NGINX_TLS_PORT:-18443}
TIMEOUT=${NGINX_UP_TIMEOUT:-30}
USER_NAME=daqflow
CONF="$DIR/nginx.conf"
PIDFILE="$DIR/run/nginx.pid"
URL="http://127.0.0.1:$PORT"

die() { echo "nginx-up: ERROR: $*" >&2; [ -f "$DIR/log/error.log" ] && { echo "--- tail $DIR/log/error.log" >&2; tail -n 15 "$DIR/log/error.log" >&2; }; exit 1; }
say() { echo "nginx-up: $*" >&2; }

[ "$(id -u)" = 0 ] || die "must run as root (it installs nginx and starts it with its own user)"
[[ "$PORT" =~ ^[0-9]+$ ]] || die "DAQFLOW_NGINX_PORT must be a port number, got '$PORT'"
[[ "$TLS_PORT" =~ ^[0-9]+$ ]] || die "DAQFLOW_NGINX_TLS_PORT must be a port number, got '$TLS_PORT'"

# Parallel callers (test files starting at once) take turns: the second finds nginx running.
# (nginx itself is started with fd 9 closed, so the daemon never holds this lock.)
mkdir -p "$DIR"
exec 9>"$DIR/.nginx-up.lock"
flock -w "$TIMEOUT" 9 || die "another nginx-up.sh held $DIR/.nginx-up.lock for ${TIMEOUT}s"

# 1. Package (skipped when present).
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  say "installing nginx"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends nginx >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y --no-install-recommends nginx >/dev/null; } \
    || die "apt-get install nginx failed"
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
"$NGINX" -V 2>&1 | grep -q -- '--with-http_dav_module' || die "$NGINX was built without the WebDAV module (http_dav_module)"
id -u www-data >/dev/null 2>&1 || die "user www-data does not exist (nginx workers run as www-data)"

# 2. Folders and the password (a random one, kept across restarts, readable by root only).
mkdir -p "$DIR"/{dav,tmp,log,run,tls}
if [ ! -s "$DIR/tls/cert.pem" ] || [ ! -s "$DIR/tls/key.pem" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$DIR/tls/key.pem" -out "$DIR/tls/cert.pem" >/dev/null 2>&1 || die "openssl could not make the test certificate"
  chmod 0600 "$DIR/tls/key.pem"
fi
chown www-data:www-data "$DIR/dav" "$DIR/tmp"
if [ ! -s "$DIR/password" ]; then
  (umask 077 && openssl rand -hex 16 > "$DIR/password") || die "cannot write $DIR/password"
fi
chmod 0600 "$DIR/password"
printf '%s:%s\n' "$USER_NAME" "$(openssl passwd -apr1 -in "$DIR/password")" > "$DIR/htpasswd.new"
chown root:www-data "$DIR/htpasswd.new" && chmod 0640 "$DIR/htpasswd.new" && mv "$DIR/htpasswd.new" "$DIR/htpasswd"

# 3. nginx.conf (rewritten only when it changes). Body temp files live beside the data, so a finished
#    PUT is renamed into place atomically and an interrupted one never appears under its name.
new=$(cat <<CONF
# Written by daqflow scripts/nginx-up.sh: a WebDAV archive for tests.
user www-data;
worker_processes 2;
pid $PIDFILE;
error_log $DIR/log/error.log warn;
events { worker_connections 512; }
http {
  access_log $DIR/log/access.log;
  client_body_temp_path $DIR/tmp/body;
  proxy_temp_path $DIR/tmp/proxy;
  fastcgi_temp_path $DIR/tmp/fastcgi;
  uwsgi_temp_path $DIR/tmp/uwsgi;
  scgi_temp_path $DIR/tmp/scgi;
  client_max_body_size 0;
  client_body_timeout 300s;
  sendfile on;
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:$PORT;
    listen 127.0.0.1:$TLS_PORT ssl;
    ssl_certificate $DIR/tls/cert.pem;
    ssl_certificate_key $DIR/tls/key.pem;
    root $DIR/dav;
    location = /healthz { return 204; }
    location / {
      dav_methods PUT DELETE MKCOL;
      create_full_put_path on;
      dav_access user:rw group:r all:r;
      auth_basic "daqflow test archive";
      auth_basic_user_file $DIR/htpasswd;
    }
  }
}
CONF
)
changed=0
if [ ! -f "$CONF" ] || [ "$(cat "$CONF")" != "$new" ]; then
  printf '%s\n' "$new" > "$CONF"
  changed=1
fi
"$NGINX" -t -q -c "$CONF" 2>"$DIR/log/configtest.log" || { cat "$DIR/log/configtest.log" >&2; die "nginx -t rejected $CONF"; }

# 4. Start, or reload when the config changed.
running() { [ -s "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }
if running; then
  if [ "$changed" = 1 ]; then say "reloading (config changed)"; "$NGINX" -c "$CONF" -s reload 9>&- || die "reload failed"; fi
else
  say "starting nginx on $URL"
  rm -f "$PIDFILE"
  "$NGINX" -c "$CONF" 9>&- || die "nginx did not start (is port $PORT taken? see $DIR/log/error.log)"
fi
deadline=$(( $(date +%s) + TIMEOUT ))
until curl -fsS -o /dev/null "$URL/healthz" 2>/dev/null \
  && curl -fsS --cacert "$DIR/tls/cert.pem" -o /dev/null "https://127.0.0.1:$TLS_PORT/healthz" 2>/dev/null; do
  [ "$(date +%s)" -lt "$deadline" ] || die "timed out after ${TIMEOUT}s waiting for $URL/healthz and https://127.0.0.1:$TLS_PORT/healthz"
  sleep 0.2
done

# 5. Prove it: an authenticated PUT, the same bytes back, a refused wrong password, DELETE.
probe="$DIR/run/probe.$$"
head -c 4096 /dev/urandom > "$probe"
cfg="$DIR/run/curl.$$"
(umask 077 && printf 'user = "%s:%s"\n' "$USER_NAME" "$(cat "$DIR/password")" > "$cfg")
trap 'rm -f "$probe" "$probe.back" "$cfg"' EXIT
curl -fsS -K "$cfg" -T "$probe" "$URL/.nginx-up/probe" || die "authenticated PUT to $URL/.nginx-up/probe failed"
curl -fsS -K "$cfg" -o "$probe.back" "$URL/.nginx-up/probe" || die "GET of $URL/.nginx-up/probe failed"
cmp -s "$probe" "$probe.back" || die "the object read back differs from the one written"
curl -fsS -K "$cfg" --cacert "$DIR/tls/cert.pem" -o /dev/null "https://127.0.0.1:$TLS_PORT/.nginx-up/probe" || die "GET over HTTPS (port $TLS_PORT) failed"
code=$(curl -sS -o /dev/null -w '%{http_code}' -u "$USER_NAME:wrong" "$URL/.nginx-up/probe")
[ "$code" = 401 ] || die "a wrong password got HTTP $code, expected 401"
curl -fsS -K "$cfg" -X DELETE "$URL/.nginx-up/probe" || die "DELETE of $URL/.nginx-up/probe failed"

printf '{"url": "%s", "tls_url": "%s", "ca_file": "%s", "username": "%s", "password_file": "%s", "dav_root": "%s", "pid_file": "%s"}\n' \
  "$URL" "https://127.0.0.1:$TLS_PORT" "$DIR/tls/cert.pem" "$USER_NAME" "$DIR/password" "$DIR/dav" "$PIDFILE" > "$DIR/server.json"
say "ready: $URL and https://127.0.0.1:$TLS_PORT (user $USER_NAME, password in $DIR/password, data in $DIR/dav)"
