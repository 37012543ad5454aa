#!/usr/bin/env bash
# An S3-compatible server for the cluster mode and the integration tests: versitygw (Apache-2.0, Go) with
# its POSIX backend, on 127.0.0.1 (contract: scripts/infra/README.md).
#   install  build versitygw from the Go module proxy once (about 90 s), cached under $PACS_CACHE_DIR
#   up       start it (objects in .infra/s3/data), create the bucket `pacs`, write .infra/s3/env
# Why versitygw: it accepts the AWS SDK's default request checksums (SHA-256 included, aws-chunked trailers,
# multipart); MinIO is unmaintained and AGPL, S3Proxy needs a JVM and tuning (scripts/infra/README.md).
set -euo pipefail
INFRA_NAME=s3
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

VERSITYGW_MODULE=github.com/versity/versitygw/cmd/versitygw
VERSITYGW_VERSION=v1.8.0
VERSITYGW_BIN=$PACS_CACHE_DIR/versitygw/$VERSITYGW_VERSION/versitygw
S3_BUCKET=pacs
S3_REGION=us-east-1

infra_install() {
  [[ -x $VERSITYGW_BIN ]] && return 0
  command -v go >/dev/null ||
    die "Go is needed to build versitygw ($VERSITYGW_MODULE@$VERSITYGW_VERSION); install Go 1.24 or later"
  local cache=$PACS_CACHE_DIR/versitygw tmp
  mkdir -p "$cache"
  exec 8>"$cache/install.lock"
  flock 8
  if [[ -x $VERSITYGW_BIN ]]; then
    exec 8>&-
    return 0
  fi
  say "building versitygw $VERSITYGW_VERSION with go install (about 90 s, once; cached in $cache)"
  log_line "go install $VERSITYGW_MODULE@$VERSITYGW_VERSION"
  # Built into a side folder and moved into place when complete: an interrupted build leaves no binary.
  tmp=$(mktemp -d "$cache/build.XXXXXX")
  # -modcacherw: the downloaded module sources stay deletable by the user (Go makes them read-only).
  if ! (cd "$tmp" && GOBIN="$tmp/bin" GOFLAGS="-modcacherw" go install "$VERSITYGW_MODULE@$VERSITYGW_VERSION") \
    >>"$LOG_FILE" 2>&1; then
    rm -rf "$tmp"
    die "go install $VERSITYGW_MODULE@$VERSITYGW_VERSION failed"
  fi
  mkdir -p "$(dirname "$VERSITYGW_BIN")"
  mv "$tmp/bin/versitygw" "$VERSITYGW_BIN"
  rm -rf "$tmp"
  exec 8>&- # release the install lock, so the server started next does not inherit it
}

# The root credentials: made once per state dir, random, kept beside the data (mode 600).
load_credentials() {
  local file=$STATE_DIR/credentials
  if [[ ! -s $file ]]; then
    (
      umask 077
      printf 'S3_ACCESS_KEY_ID=pacs%s\nS3_SECRET_ACCESS_KEY=%s\n' \
        "$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
        "$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$file.tmp"
      mv "$file.tmp" "$file"
    )
  fi
  # shellcheck source=/dev/null
  source "$file"
}

# The HTTP status of one signed S3 request (SigV4 by curl; versitygw wants the payload hash header).
s3_status_code() {
  local method=$1 path=$2 port
  port=$(<"$STATE_DIR/port")
  local args=(-s -o /dev/null -w '%{http_code}' --max-time 5
    -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD'
    --aws-sigv4 "aws:amz:$S3_REGION:s3" --user "$S3_ACCESS_KEY_ID:$S3_SECRET_ACCESS_KEY")
  if [[ $method == HEAD ]]; then args+=(-I); else args+=(-X "$method"); fi
  curl "${args[@]}" "http://127.0.0.1:$port/$path" || true
}

server_pid() { [[ -s $STATE_DIR/pid ]] && cat "$STATE_DIR/pid"; }

listening_or_dead() {
  running "$1" || die "versitygw exited while starting"
  port_in_use "$2"
}

stop_server() {
  local pid
  pid=$(server_pid) || true
  if process_is "$pid" versitygw; then
    log_line "stopping versitygw (pid $pid)"
    kill -TERM "$pid"
    wait_until 10 eval "! process_is $pid versitygw" || {
      log_line "versitygw did not stop in 10 s: killing it"
      kill -KILL "$pid" 2>/dev/null || true
    }
  fi
  rm -f "$STATE_DIR/pid"
}

infra_up() {
  local port pid code
  stop_server
  load_credentials
  port=$(server_port)
  mkdir -p "$STATE_DIR/data"
  log_line "starting versitygw $VERSITYGW_VERSION on 127.0.0.1:$port (data: $STATE_DIR/data)"
  # setsid: the server outlives the shell or test run that started it, and a Ctrl-C there does not reach it.
  # --quiet: no line per request in the log; --keep-alive: the SDK reuses its connections.
  ROOT_ACCESS_KEY=$S3_ACCESS_KEY_ID ROOT_SECRET_KEY=$S3_SECRET_ACCESS_KEY setsid "$VERSITYGW_BIN" \
    --port "127.0.0.1:$port" --region "$S3_REGION" --quiet --keep-alive posix "$STATE_DIR/data" \
    </dev/null >>"$LOG_FILE" 2>&1 8>&- 9>&- &
  pid=$!
  echo "$pid" >"$STATE_DIR/pid"
  wait_until 20 listening_or_dead "$pid" "$port" || die "versitygw does not listen on port $port after 20 s"
  code=$(s3_status_code HEAD "$S3_BUCKET")
  if [[ $code == 404 ]]; then
    code=$(s3_status_code PUT "$S3_BUCKET")
    [[ $code == 200 ]] || die "creating the bucket $S3_BUCKET answered HTTP $code"
    log_line "created the bucket $S3_BUCKET"
  fi
  infra_status || die "started, but HEAD /$S3_BUCKET does not answer 200"
}

# Up means: our versitygw process runs and answers a signed HEAD on the bucket with 200.
infra_status() {
  [[ -s $STATE_DIR/port && -s $STATE_DIR/credentials ]] || return 1
  process_is "$(server_pid)" versitygw || return 1
  load_credentials
  [[ $(s3_status_code HEAD "$S3_BUCKET") == 200 ]]
}

infra_down() {
  stop_server
}

infra_env() {
  load_credentials
  cat <<EOF
PACS_S3_ENDPOINT=http://127.0.0.1:$(<"$STATE_DIR/port")
PACS_S3_REGION=$S3_REGION
PACS_S3_BUCKET=$S3_BUCKET
PACS_S3_ACCESS_KEY_ID=$S3_ACCESS_KEY_ID
PACS_S3_SECRET_ACCESS_KEY=$S3_SECRET_ACCESS_KEY
PACS_S3_FORCE_PATH_STYLE=true
EOF
}

infra_main "$@"
