#!/usr/bin/env bash
# Orthanc with its DICOMweb plugin, the reference server for side-by-side runs (benchmarks, the OHIF
# end-to-end test): Debian's packages, run as a normal process of ours on 127.0.0.1, never the system
# service. Same contract as the servers of scripts/infra (scripts/infra/README.md):
#   install  apt-get install orthanc orthanc-dicomweb when missing (not orthanc-gdcm: it crashes on JPEG)
#   up       generate .infra/orthanc/orthanc.json, start Orthanc on a free port, wait for DICOMweb, write
#            .infra/orthanc/env (ORTHANC_URL, ORTHANC_DICOMWEB_URL)
#   down | status | env
# Orthanc sends no CORS headers: a browser reaches it through e2e/cors-proxy.ts.
set -euo pipefail
INFRA_NAME=orthanc
# shellcheck source=../../scripts/infra/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/infra/lib.sh"

ORTHANC_BIN=${PACS_ORTHANC_BIN:-/usr/sbin/Orthanc}
DICOMWEB_PLUGIN=${PACS_ORTHANC_DICOMWEB_PLUGIN:-/usr/share/orthanc/plugins/libOrthancDicomWeb.so}
# Orthanc's own name for this instance: status checks that the server on our port is ours.
ORTHANC_NAME=pacs-bench-orthanc
# The same root as our server's (/dicomweb), so a proxy in front maps paths 1:1 and the BulkDataURIs Orthanc
# builds from the Host header stay valid through it.
DICOMWEB_ROOT=/dicomweb

infra_install() {
  [[ -x $ORTHANC_BIN && -f $DICOMWEB_PLUGIN ]] && return 0
  command -v apt-get >/dev/null || die "Orthanc is missing and there is no apt-get to install it"
  local cache=$PACS_CACHE_DIR/orthanc
  mkdir -p "$cache"
  exec 8>"$cache/install.lock"
  flock 8
  [[ -x $ORTHANC_BIN && -f $DICOMWEB_PLUGIN ]] && return 0
  say "installing Debian's orthanc and orthanc-dicomweb (apt-get, once per machine)"
  log_line "apt-get install orthanc orthanc-dicomweb"
  # Debian starts its own orthanc service after installing it (where services can start): that one
  # listens on 8042/4242 with /etc/orthanc; ours is separate and unaffected.
  {
    apt-get -o DPkg::Lock::Timeout=300 update -q &&
      DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -q orthanc orthanc-dicomweb
  } >>"$LOG_FILE" 2>&1 9>&- 8>&- || die "apt-get install orthanc orthanc-dicomweb failed"
  [[ -x $ORTHANC_BIN && -f $DICOMWEB_PLUGIN ]] || die "installed, but $ORTHANC_BIN or $DICOMWEB_PLUGIN is missing"
}

server_pid() { [[ -s $STATE_DIR/pid ]] && cat "$STATE_DIR/pid"; }

http_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$1" || true; }

write_config() {
  local port=$1
  mkdir -p "$STATE_DIR/storage"
  # JSON written whole each start (Orthanc reads comments too, but ours has none): everything Orthanc would
  # otherwise take from /etc/orthanc is here, so the system configuration never leaks in.
  cat >"$STATE_DIR/orthanc.json" <<EOF
{
  "Name": "$ORTHANC_NAME",
  "StorageDirectory": "$STATE_DIR/storage",
  "IndexDirectory": "$STATE_DIR/storage",
  "StorageCompression": false,
  "HttpServerEnabled": true,
  "HttpPort": $port,
  "RemoteAccessAllowed": false,
  "AuthenticationEnabled": false,
  "HttpCompressionEnabled": false,
  "HttpThreadsCount": 50,
  "KeepAlive": true,
  "TcpNoDelay": true,
  "DicomServerEnabled": false,
  "WebDavEnabled": false,
  "OrthancExplorerEnabled": false,
  "StableAge": 60,
  "SaveJobs": false,
  "OverwriteInstances": true,
  "ConcurrentJobs": 2,
  "Plugins": ["$DICOMWEB_PLUGIN"],
  "DicomWeb": {
    "Enable": true,
    "Root": "$DICOMWEB_ROOT/",
    "EnableWado": false,
    "Ssl": false,
    "StudiesMetadata": "Full",
    "SeriesMetadata": "Full"
  }
}
EOF
}

# kill -0, not process_is: right after the fork the child's command line is still this script's, until
# setsid has exec'd Orthanc.
listening_or_dead() {
  kill -0 "$1" 2>/dev/null || die "Orthanc exited while starting"
  port_in_use "$2"
}

stop_server() {
  local pid
  pid=$(server_pid) || true
  if process_is "$pid" Orthanc; then
    log_line "stopping Orthanc (pid $pid)"
    kill -TERM "$pid"
    wait_until 20 eval "! process_is $pid Orthanc" || {
      log_line "Orthanc did not stop in 20 s: killing it"
      kill -KILL "$pid" 2>/dev/null || true
    }
  fi
  rm -f "$STATE_DIR/pid"
}

infra_up() {
  local port pid
  stop_server
  port=$(server_port)
  write_config "$port"
  log_line "starting Orthanc on 127.0.0.1:$port (config: $STATE_DIR/orthanc.json)"
  # setsid: the server outlives the shell or test run that started it, and a Ctrl-C there does not reach it.
  setsid "$ORTHANC_BIN" "$STATE_DIR/orthanc.json" </dev/null >>"$LOG_FILE" 2>&1 9>&- &
  pid=$!
  echo "$pid" >"$STATE_DIR/pid"
  wait_until 30 listening_or_dead "$pid" "$port" || die "Orthanc does not listen on port $port after 30 s"
  wait_until 10 infra_status || die "Orthanc listens on $port, but its DICOMweb plugin does not answer"
}

# Up means: our Orthanc process runs, answers /system with our name, and QIDO-RS answers 200.
infra_status() {
  [[ -s $STATE_DIR/port ]] || return 1
  process_is "$(server_pid)" Orthanc || return 1
  local base=http://127.0.0.1:$(<"$STATE_DIR/port")
  curl -s --max-time 5 "$base/system" | grep -q "\"Name\" : \"$ORTHANC_NAME\"" || return 1
  [[ $(http_code "$base$DICOMWEB_ROOT/studies?limit=1") == 200 ]]
}

infra_down() {
  stop_server
}

infra_env() {
  local base=http://127.0.0.1:$(<"$STATE_DIR/port")
  cat <<EOF
ORTHANC_URL=$base
ORTHANC_DICOMWEB_URL=$base$DICOMWEB_ROOT
EOF
}

infra_main "$@"
