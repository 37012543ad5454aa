#!/usr/bin/env bash
# PostgreSQL for the cluster mode and the integration tests, on 127.0.0.1 (contract: scripts/infra/README.md).
#   install  PostgreSQL from the Debian packages when its binaries are missing
#   up       initdb once (data in .infra/postgres/data), start, create the database `pacs`,
#            write .infra/postgres/env: PACS_DATABASE_URL=postgres://postgres@127.0.0.1:<port>/pacs
# PACS_PG_BINDIR picks a PostgreSQL bin directory (default: the newest /usr/lib/postgresql/*/bin).
set -euo pipefail
INFRA_NAME=postgres
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Connections: every service process keeps a pool (PACS_DATABASE_POOL_SIZE, 10) and the integration
# suites run several at once; PostgreSQL's default of 100 is too tight for that.
PG_MAX_CONNECTIONS=200

pg_bindir() {
  if [[ -n ${PACS_PG_BINDIR:-} ]]; then
    [[ -x $PACS_PG_BINDIR/initdb ]] && echo "$PACS_PG_BINDIR"
    return
  fi
  local dir
  while read -r dir; do
    [[ -x $dir/initdb && -x $dir/pg_ctl && -x $dir/postgres ]] && { echo "$dir"; return 0; }
  done < <(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r)
  if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
    dirname "$(command -v initdb)"
    return 0
  fi
  return 1
}

# initdb and pg_ctl refuse to run as root: as root, the cluster belongs to the `postgres` user that the
# Debian package creates; otherwise to whoever runs this script.
as_owner() {
  if ((EUID == 0)); then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

# The data dir is .infra/postgres/data, unless we run as root and the postgres user cannot reach that
# folder (a checkout under a private home directory): then a folder of its own under /var/tmp.
data_dir() {
  if ((EUID == 0)) && ! runuser -u postgres -- test -x "$STATE_DIR" 2>/dev/null; then
    echo "/var/tmp/pacs-infra-$(printf '%s' "$STATE_DIR" | sha256sum | cut -c1-12)/data"
  else
    echo "$STATE_DIR/data"
  fi
}

psql_q() {
  local port=$1 db=$2 sql=$3
  PGCONNECT_TIMEOUT=5 "$(pg_bindir)/psql" -X -q -At -v ON_ERROR_STOP=1 \
    -h 127.0.0.1 -p "$port" -U postgres -d "$db" -c "$sql"
}

infra_install() {
  pg_bindir >/dev/null && return 0
  command -v apt-get >/dev/null ||
    die "PostgreSQL is not installed and there is no apt-get: install PostgreSQL 15 or later and set PACS_PG_BINDIR"
  local sudo=()
  ((EUID == 0)) || sudo=(sudo)
  mkdir -p "$PACS_CACHE_DIR"
  exec 8>"$PACS_CACHE_DIR/postgres-install.lock"
  flock 8
  if pg_bindir >/dev/null; then
    exec 8>&-
    return 0
  fi
  say "installing PostgreSQL from the Debian packages (apt-get install postgresql)"
  log_line "apt-get install postgresql"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q update >>"$LOG_FILE" 2>&1 ||
    die "apt-get update failed"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q install -y -o DPkg::Lock::Timeout=300 postgresql \
    >>"$LOG_FILE" 2>&1 || die "apt-get install postgresql failed"
  pg_bindir >/dev/null || die "postgresql is installed but no initdb/pg_ctl was found"
  exec 8>&- # release the install lock, so the server started next does not inherit it
}

init_cluster() {
  local bindir=$1 data=$2
  local tmp=$data.init
  # initdb into a side folder, renamed when complete: an interrupted initdb never leaves a data dir
  # that later looks initialised.
  rm -rf "$tmp"
  mkdir -p "$tmp"
  if ((EUID == 0)); then chown postgres: "$tmp"; fi
  log_line "initdb $data"
  # Locale C: byte-order collation, identical on every machine; the encoding is still UTF-8.
  as_owner "$bindir/initdb" -D "$tmp" -A trust -U postgres -E UTF8 --locale=C --no-sync \
    >>"$LOG_FILE" 2>&1 9>&- || die "initdb failed"
  # No Unix socket: clients, pg_isready and pg_ctl all use TCP on loopback, and a socket path under a
  # deep checkout can exceed the 107-byte limit of sun_path.
  cat >>"$tmp/postgresql.conf" <<EOF

# scripts/infra/postgres.sh
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
max_connections = $PG_MAX_CONNECTIONS
EOF
  mv "$tmp" "$data"
}

running_here() {
  local bindir=$1 data=$2
  [[ -f $data/postmaster.pid ]] && as_owner "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1
}

infra_up() {
  local bindir data port version
  bindir=$(pg_bindir)
  data=$(data_dir)
  mkdir -p "$(dirname "$data")"
  # A server of ours that runs but failed the status check (another port, no `pacs` database yet):
  # restart it cleanly.
  if running_here "$bindir" "$data"; then
    log_line "a server runs on $data but is not healthy: restarting it"
    as_owner "$bindir/pg_ctl" -D "$data" -m fast -w -t 60 stop >>"$LOG_FILE" 2>&1 9>&- || true
  fi
  [[ -f $data/PG_VERSION ]] || init_cluster "$bindir" "$data"
  version=$("$bindir/postgres" --version | sed -E 's/.* ([0-9]+)(\.[0-9]+)*.*/\1/')
  [[ $(<"$data/PG_VERSION") == "$version" ]] ||
    die "$data was made by PostgreSQL $(<"$data/PG_VERSION") but $bindir is PostgreSQL $version: run $0 down, delete $data and run up again"
  port=$(server_port)
  log_line "starting PostgreSQL $version on 127.0.0.1:$port (data: $data)"
  # Without -l, the server's output goes to pg_ctl's stdout: our log, opened here, so the postgres
  # user needs no write access to it.
  as_owner "$bindir/pg_ctl" -D "$data" -w -t 60 -o "-p $port" start >>"$LOG_FILE" 2>&1 8>&- 9>&- ||
    die "pg_ctl start failed"
  wait_until 10 "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -t 1 || die "not accepting connections on port $port"
  if [[ $(psql_q "$port" postgres "SELECT count(*) FROM pg_database WHERE datname = 'pacs'") != 1 ]]; then
    psql_q "$port" postgres 'CREATE DATABASE pacs' >>"$LOG_FILE" 2>&1 || die "CREATE DATABASE pacs failed"
  fi
  infra_status || die "started, but a query on the pacs database failed"
}

# Up means: the server answers on our port, and it is ours (a real query on `pacs` reports our data dir;
# another checkout's server could have taken the port while ours was down).
infra_status() {
  local port bindir
  [[ -s $STATE_DIR/port ]] || return 1
  port=$(<"$STATE_DIR/port")
  bindir=$(pg_bindir) || return 1
  "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -t 2 || return 1
  [[ $(psql_q "$port" pacs 'SHOW data_directory' 2>/dev/null) == "$(data_dir)" ]]
}

infra_down() {
  local bindir data
  bindir=$(pg_bindir) || return 0
  data=$(data_dir)
  running_here "$bindir" "$data" || return 0
  log_line "stopping"
  as_owner "$bindir/pg_ctl" -D "$data" -m fast -w -t 60 stop >>"$LOG_FILE" 2>&1 9>&- || die "pg_ctl stop failed"
}

infra_env() {
  echo "PACS_DATABASE_URL=postgres://postgres@127.0.0.1:$(<"$STATE_DIR/port")/pacs"
}

infra_main "$@"
