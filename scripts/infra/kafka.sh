#!/usr/bin/env bash
# Apache Kafka 4.4.0 for the cluster mode and the integration tests: one node in KRaft mode (broker and controller
# in one JVM) on 127.0.0.1 (contract: scripts/infra/README.md).
#   install  resolve the broker jars from Maven Central (scripts/infra/kafka/pom.xml) into
#            $PACS_CACHE_DIR/kafka-4.4.0/lib once (about 10 s; a changed pom re-resolves)
#   up       format the storage once (data in .infra/kafka/data), start the broker with the machine's Java 17,
#            wait until it logs "Kafka Server started" and answers a metadata request, create the topics of
#            libs/bus/src/topics.ts that are missing, write .infra/kafka/env: PACS_KAFKA_BROKERS=127.0.0.1:<port>
# Topic names get PACS_KAFKA_TOPIC_PREFIX in front (default: the one of libs/config/src/settings.ts). Another
# PACS_INFRA_DIR gives an independent second broker (the bus's outage test stops and restarts one of its own).
set -euo pipefail
INFRA_NAME=kafka
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KAFKA_VERSION=4.4.0
KAFKA_FILES=$INFRA_SCRIPTS_DIR/kafka
KAFKA_LIB=$PACS_CACHE_DIR/kafka-$KAFKA_VERSION/lib
NODE=$REPO_ROOT/node_modules/.bin/node
# Cold JVM on 2 cores: "Kafka Server started" after 3.5-4.5 s.
READY_TIMEOUT_S=${PACS_KAFKA_READY_TIMEOUT_S:-60}

# The lib folder is complete iff its stamp names the pom it was resolved from.
pom_stamp() { sha256sum "$KAFKA_FILES/pom.xml" | cut -c1-16; }
installed() { [[ -f $KAFKA_LIB/.stamp && $(<"$KAFKA_LIB/.stamp") == "$(pom_stamp)" ]]; }

infra_install() {
  installed && return 0
  command -v mvn >/dev/null || die "Apache Maven (mvn) is needed to resolve Kafka $KAFKA_VERSION from Maven Central"
  command -v java >/dev/null || die "Java 17 or later is needed to run Kafka $KAFKA_VERSION"
  local cache=$PACS_CACHE_DIR/kafka-$KAFKA_VERSION tmp
  mkdir -p "$cache"
  exec 8>"$cache/install.lock"
  flock 8
  installed && return 0
  say "resolving Kafka $KAFKA_VERSION from Maven Central (once; cached in $cache)"
  log_line "mvn dependency:copy-dependencies ($KAFKA_FILES/pom.xml)"
  # Resolved into a side folder and moved into place when complete: an interrupted run leaves no half lib.
  tmp=$(mktemp -d "$cache/lib.XXXXXX")
  if ! mvn -q -B -Dstyle.color=never -f "$KAFKA_FILES/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$tmp" -DincludeScope=runtime >>"$LOG_FILE" 2>&1; then
    rm -rf "$tmp"
    die "mvn dependency:copy-dependencies failed"
  fi
  pom_stamp >"$tmp/.stamp"
  rm -rf "$KAFKA_LIB"
  mv "$tmp" "$KAFKA_LIB"
  log_line "installed $(find "$KAFKA_LIB" -name '*.jar' | wc -l) jars into $KAFKA_LIB"
}

# The controller listener's port, kept like the broker's (lib.sh server_port) in a file of its own.
controller_port() {
  local file=$STATE_DIR/controller-port port
  if [[ -s $file ]] && ! port_in_use "$(<"$file")"; then
    cat "$file"
    return 0
  fi
  port=$(free_port) || die "no free TCP port on 127.0.0.1"
  while [[ $port == "$1" ]]; do port=$(free_port); done
  echo "$port" >"$file"
  echo "$port"
}

write_server_properties() {
  local file=$1 broker=$2 controller=$3 data=$4
  cat >"$file" <<EOF
# Written by scripts/infra/kafka.sh at every start: edit the script, not this file.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$controller
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://127.0.0.1:$broker,CONTROLLER://127.0.0.1:$controller
advertised.listeners=PLAINTEXT://127.0.0.1:$broker,CONTROLLER://127.0.0.1:$controller
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$data
# One node: every topic, internal ones included, has one replica and needs one in sync.
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# Fewer partitions of the internal topics than the defaults (50): the first consumer group starts sooner.
offsets.topic.num.partitions=8
transaction.state.log.num.partitions=4
# A group's first member starts at once instead of waiting 3 s for more members.
group.initial.rebalance.delay.ms=0
# The bus (libs/bus) creates its topics with their partition counts; a misspelt name must fail, not create one.
auto.create.topics.enable=false
num.partitions=1
# Two cores on the machines we run on.
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
EOF
}

broker_pid() { [[ -s $STATE_DIR/pid ]] && cat "$STATE_DIR/pid"; }
is_our_broker() { process_is "$1" "kafka.Kafka $STATE_DIR/server.properties"; }

stop_broker() {
  local pid
  pid=$(broker_pid) || true
  if is_our_broker "$pid"; then
    log_line "stopping Kafka (pid $pid)"
    # SIGTERM: a controlled shutdown that flushes the logs and writes a clean-shutdown marker (no log recovery at
    # the next start).
    kill -TERM "$pid"
    wait_until 30 eval "! is_our_broker $pid" || {
      log_line "Kafka did not stop in 30 s: killing it"
      kill -KILL "$pid" 2>/dev/null || true
    }
  fi
  rm -f "$STATE_DIR/pid"
}

format_storage() {
  local broker=$1 controller=$2 cluster_id
  # Formatted into a side folder and renamed when complete: an interrupted format never looks done.
  rm -rf "$STATE_DIR/data.init"
  write_server_properties "$STATE_DIR/format.properties" "$broker" "$controller" "$STATE_DIR/data.init"
  cluster_id=$(java -cp "$KAFKA_LIB/*" kafka.tools.StorageTool random-uuid 2>>"$LOG_FILE" | tail -n 1)
  log_line "formatting $STATE_DIR/data (cluster $cluster_id, this node the only controller voter)"
  java -cp "$KAFKA_LIB/*" -Dlog4j2.configurationFile="$KAFKA_FILES/log4j2.xml" kafka.tools.StorageTool format \
    --standalone -t "$cluster_id" -c "$STATE_DIR/format.properties" >>"$LOG_FILE" 2>&1 9>&- ||
    die "kafka-storage format failed"
  rm -f "$STATE_DIR/format.properties"
  mv "$STATE_DIR/data.init" "$STATE_DIR/data"
}

started_or_dead() {
  running "$1" || die "Kafka exited while starting"
  tail -c "+$2" "$LOG_FILE" | grep -q 'Kafka Server started'
}

topic_prefix() {
  if [[ -n ${PACS_KAFKA_TOPIC_PREFIX+set} ]]; then
    printf '%s' "$PACS_KAFKA_TOPIC_PREFIX"
  else
    # The default is written once, in libs/config/src/settings.ts.
    (cd "$REPO_ROOT" && "$NODE" --no-warnings --input-type=module -e \
      "const { settings } = await import('./libs/config/src/settings.ts');
       process.stdout.write(settings.PACS_KAFKA_TOPIC_PREFIX.default);")
  fi
}

infra_up() {
  local broker controller pid offset prefix
  [[ -x $NODE ]] || die "$NODE is missing: run npm install first (the topics come from libs/bus/src/topics.ts)"
  stop_broker
  broker=$(server_port)
  controller=$(controller_port "$broker")
  [[ -f $STATE_DIR/data/meta.properties ]] || format_storage "$broker" "$controller"
  write_server_properties "$STATE_DIR/server.properties" "$broker" "$controller" "$STATE_DIR/data"
  # Start each run with a fresh log once the old one is large (a test run that creates many topics adds up).
  if [[ -f $LOG_FILE ]] && (($(stat -c %s "$LOG_FILE") > 50 * 1024 * 1024)); then
    mv -f "$LOG_FILE" "$LOG_FILE.1"
  fi
  log_line "starting Kafka $KAFKA_VERSION on 127.0.0.1:$broker (controller 127.0.0.1:$controller, data $STATE_DIR/data)"
  offset=$(($(stat -c %s "$LOG_FILE" 2>/dev/null || echo 0) + 1))
  # setsid: the broker outlives the shell or test run that started it, and a Ctrl-C there does not reach it.
  # 9>&- 8>&-: it must not inherit (and so hold forever) the state and install locks.
  setsid java -Xmx512m -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$KAFKA_FILES/log4j2.xml" -cp "$KAFKA_LIB/*" \
    kafka.Kafka "$STATE_DIR/server.properties" </dev/null >>"$LOG_FILE" 2>&1 9>&- 8>&- &
  pid=$!
  echo "$pid" >"$STATE_DIR/pid"
  wait_until "$READY_TIMEOUT_S" started_or_dead "$pid" "$offset" ||
    die "no \"Kafka Server started\" after $READY_TIMEOUT_S s"
  # Started is not yet ready: wait for a metadata request to succeed, then create the missing topics.
  prefix=$(topic_prefix) || die "could not read the default topic prefix from libs/config/src/settings.ts"
  "$NODE" --no-warnings "$KAFKA_FILES/topics.mjs" "127.0.0.1:$broker" "$prefix" "$((READY_TIMEOUT_S * 1000))" \
    >>"$LOG_FILE" 2>&1 9>&- || die "Kafka does not answer metadata requests, or creating the topics failed"
  infra_status || die "started, but not listening on port $broker"
}

# Up means: our broker process runs and its PLAINTEXT listener accepts connections.
infra_status() {
  [[ -s $STATE_DIR/port ]] || return 1
  is_our_broker "$(broker_pid)" || return 1
  port_in_use "$(<"$STATE_DIR/port")"
}

infra_down() {
  stop_broker
}

infra_env() {
  echo "PACS_KAFKA_BROKERS=127.0.0.1:$(<"$STATE_DIR/port")"
}

infra_main "$@"
