# Shared by the server scripts of scripts/infra (sourced, never run): paths, ports, locks, logs and the
# install|up|down|status|env dispatch of the contract in scripts/infra/README.md.
# A script sets INFRA_NAME, defines infra_install, infra_up, infra_down, infra_status and infra_env (prints
# the KEY=value lines clients need), then calls infra_main "$@".

INFRA_SCRIPTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$INFRA_SCRIPTS_DIR/../.." && pwd)
PACS_CACHE_DIR=${PACS_CACHE_DIR:-$HOME/.cache/pacs}
# Canonical (absolute, no symlinks or ..): PostgreSQL reports its data dir that way, and status compares.
PACS_INFRA_DIR=$(realpath -m "${PACS_INFRA_DIR:-$REPO_ROOT/.infra}")
export PACS_CACHE_DIR PACS_INFRA_DIR

# Set by infra_main for the server at hand.
STATE_DIR=
LOG_FILE=
ENV_FILE=

say() { printf '[%s] %s\n' "$INFRA_NAME" "$*" >&2; }

# Appends a timestamped line to the server's log (the server writes its own lines there too).
log_line() { printf '%s [%s] %s\n' "$(date -u +%FT%TZ)" "$INFRA_NAME" "$*" >>"$LOG_FILE"; }

# Prints the end of the server log, so a failure explains itself where it is reported.
die() {
  say "error: $*"
  if [[ -s $LOG_FILE ]]; then
    say "last lines of $LOG_FILE:"
    tail -n 40 "$LOG_FILE" | sed 's/^/    /' >&2
  fi
  exit 1
}

now_ms() { date +%s%3N; }

# True when something accepts TCP connections on 127.0.0.1:$1.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# An unused TCP port on 127.0.0.1 (asked from the kernel, so no guessing and no range to maintain).
free_port() {
  if command -v python3 >/dev/null; then
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
  else
    local port
    for _ in $(seq 200); do
      port=$((20000 + RANDOM % 40000))
      port_in_use "$port" || { echo "$port"; return 0; }
    done
    return 1
  fi
}

# The server's port: chosen once and kept in the state dir, so clients and env files stay valid across
# restarts; chosen again only when another program took it while the server was down.
server_port() {
  local file=$STATE_DIR/port port
  if [[ -s $file ]]; then
    port=$(<"$file")
    if ! port_in_use "$port"; then
      echo "$port"
      return 0
    fi
    log_line "port $port is taken by another program; choosing another"
  fi
  port=$(free_port) || die "no free TCP port on 127.0.0.1"
  echo "$port" >"$file"
  echo "$port"
}

# Writes the env file atomically: a reader sees the old or the new file, never half of one.
write_env_file() {
  local tmp
  tmp=$(mktemp "$ENV_FILE.XXXXXX")
  cat >"$tmp"
  chmod 600 "$tmp"
  mv -f "$tmp" "$ENV_FILE"
}

# Waits until "$@" succeeds, at most $1 seconds; the command is given after the timeout.
wait_until() {
  local deadline=$(($(now_ms) + $1 * 1000))
  shift
  until "$@"; do
    (($(now_ms) < deadline)) || return 1
    sleep 0.05
  done
}

# Runs one server at a time per state dir: `up` from two test runs at once must not start two servers.
# fd 9 holds the lock (fd 8 the install lock of the cache); every process we leave running is started with
# 8>&- 9>&- so it does not inherit them and hold them for as long as it runs.
take_lock() {
  exec 9>"$STATE_DIR/lock"
  flock 9
}

# True when $1 is a live process whose command line contains $2 (a pid file can outlive its process,
# and the pid can be reused by another program).
# Alive and not a zombie (a child that exited stays a zombie until its shell reaps it; kill -0 still reaches
# one). Right after `setsid … &` the child may not have exec'd yet, so its command line is not checked here.
running() { [[ -r /proc/$1/stat && $(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) != Z ]]; }

process_is() {
  local pid=$1 pattern=$2
  [[ -n $pid && -r /proc/$pid/cmdline ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$pattern"
}

usage() {
  cat >&2 <<EOF
usage: $0 install|up|down|status|env
  install  install the server if missing (cached under \$PACS_CACHE_DIR, now $PACS_CACHE_DIR)
  up       start it on 127.0.0.1 (data and log under $STATE_DIR), wait until healthy, write $ENV_FILE
  down     stop it
  status   exit 0 when it is up and healthy
  env      print the variables clients need (KEY=value lines)
EOF
  exit 2
}

infra_main() {
  STATE_DIR=$PACS_INFRA_DIR/$INFRA_NAME
  LOG_FILE=$STATE_DIR/log
  ENV_FILE=$STATE_DIR/env
  mkdir -p "$STATE_DIR"
  local started
  started=$(now_ms)
  case "${1:-}" in
    install) infra_install ;;
    up)
      infra_install
      take_lock
      if infra_status; then
        infra_env | write_env_file
        say "already up ($(($(now_ms) - started)) ms)"
      else
        rm -f "$ENV_FILE"
        log_line "starting"
        infra_up
        infra_env | write_env_file
        log_line "up"
        say "up ($(($(now_ms) - started)) ms)"
      fi
      ;;
    down)
      take_lock
      rm -f "$ENV_FILE"
      infra_down
      say "down ($(($(now_ms) - started)) ms)"
      ;;
    status) infra_status ;;
    env)
      infra_status || { say "not up: run $0 up"; exit 1; }
      infra_env
      ;;
    *) usage ;;
  esac
}
