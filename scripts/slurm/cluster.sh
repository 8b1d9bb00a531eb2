#!/usr/bin/env bash
# Single-node SLURM test cluster on localhost, without systemd.
#
#   bash scripts/slurm/cluster.sh install   # apt packages (idempotent)
#   bash scripts/slurm/cluster.sh start     # configure + start, wait until usable
#   bash scripts/slurm/cluster.sh stop      # cancel jobs, stop every daemon
#   bash scripts/slurm/cluster.sh status    # exit 0 iff node usable and sacct works
#   bash scripts/slurm/cluster.sh env       # shell exports for tests (eval "$(...)")
#   bash scripts/slurm/cluster.sh reset     # stop + wipe all state (fresh cluster)
#
# Must run as root. Uses Debian 12 packages (Slurm 22.05, munge, MariaDB).
#
# Layout:
#   config   /etc/slurm/{slurm.conf,gres.conf,slurmdbd.conf}, the default path,
#            so plain sbatch/squeue/sacct work without SLURM_CONF. Rendered from
#            the *.conf.in templates beside this script on every `start`.
#   state    $MSFM_SLURM_STATE (default /var/lib/msfm-slurm):
#              run/      pid files + MariaDB socket     log/  all daemon logs
#              slurmctld/ controller state (job ids)    slurmd/ slurmd spool
#              mysql/    MariaDB datadir (accounting)   dev/  fake GPU devices
#   munge    default socket/pid/log (/run/munge, /var/log/munge): slurm needs
#            the default socket.
#
# Daemons: munged (as user munge), mariadbd (--skip-networking, unix-socket root
# auth), slurmdbd, slurmctld, slurmd (as root). Start order is
# munge -> mariadb -> slurmdbd -> (cluster registered) -> slurmctld -> slurmd.
#
# Notes:
# - Job state (and so the job-id counter) is kept across stop/start, together
#   with the accounting DB. `reset` wipes both; job ids then restart at 1.
#   Never wipe only one of them: sacct -j ID would then match two jobs.
# - `start` is idempotent: daemons already running (pid file + matching
#   process) are kept; stale pid files/sockets of a crashed run are removed.
#   If the rendered config changed, the slurm daemons are restarted.
# - The node advertises $MSFM_SLURM_CPUS (default 32) CPUs and 8 fake GPUs
#   (gres gpu, CUDA_VISIBLE_DEVICES=0..7) whatever the machine has.
# - `stop` cancels all jobs first (they show CANCELLED in sacct), then stops
#   the daemons through their pid files.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STATE="${MSFM_SLURM_STATE:-/var/lib/msfm-slurm}"
CLUSTER="${MSFM_SLURM_CLUSTER:-msfm}"
CPUS="${MSFM_SLURM_CPUS:-32}"
NGPUS=8
ETC=/etc/slurm
SLURM_CONF_PATH="$ETC/slurm.conf"
MYSQL_SOCK="$STATE/run/mysqld.sock"
MUNGE_PID=/run/munge/munged.pid
MUNGE_SOCK=/run/munge/munge.socket.2
START_TIMEOUT="${MSFM_SLURM_START_TIMEOUT:-60}"
PACKAGES=(slurmctld slurmd slurm-client slurmdbd munge mariadb-server mariadb-client)

export MYSQL_UNIX_PORT="$MYSQL_SOCK"   # read by libmariadb (slurmdbd, mariadb CLI)
unset SLURM_CONF                       # always the default /etc/slurm/slurm.conf

log() { echo "[slurm-cluster] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
need_root() { [ "$(id -u)" = 0 ] || die "must run as root"; }

node_name() { hostname -s 2>/dev/null || hostname; }

# ---------------------------------------------------------------- pid helpers
# pid_is PID COMM: PID is a live (not zombie) process whose comm is COMM.
# (Zombies matter: in some containers PID 1 reaps orphans late or never.)
pid_is() {
    local pid=$1 comm=$2 stat
    [ -n "$pid" ] && stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$comm" ] || return 1
    stat=${stat##*) }          # fields after "(comm) "
    [ "${stat%% *}" != Z ]
}

# alive PIDFILE COMM: the pid in PIDFILE is a live process whose comm is COMM.
alive() {
    local pidfile=$1 comm=$2
    [ -s "$pidfile" ] || return 1
    pid_is "$(tr -dc '0-9' <"$pidfile")" "$comm"
}

# stop_pid PIDFILE COMM: TERM, wait up to 20 s, then KILL; remove pid file.
stop_pid() {
    local pidfile=$1 comm=$2 pid i
    if alive "$pidfile" "$comm"; then
        pid=$(tr -dc '0-9' <"$pidfile")
        log "stopping $comm (pid $pid)"
        kill -TERM "$pid" 2>/dev/null || true
        for i in $(seq 1 40); do
            pid_is "$pid" "$comm" || break
            sleep 0.5
        done
        if pid_is "$pid" "$comm"; then
            log "$comm (pid $pid) ignored TERM; killing"
            kill -KILL "$pid" 2>/dev/null || true
            sleep 0.5
        fi
    fi
    rm -f "$pidfile"
}

# descendants PID...: all descendant pids (children first collected, then theirs).
descendants() {
    local p c
    for p in "$@"; do
        for c in $(ps -o pid= --ppid "$p" 2>/dev/null); do
            echo "$c"
            descendants "$c"
        done
    done
}

# wait_for SECONDS DESCRIPTION CMD...: poll CMD every 0.5 s.
wait_for() {
    local secs=$1 what=$2 i
    shift 2
    for i in $(seq 1 $((secs * 2))); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.5
    done
    log "timed out after ${secs}s waiting for $what"
    return 1
}

tail_logs() {
    local f
    for f in "$@"; do
        [ -f "$f" ] || continue
        echo "----- tail -n 40 $f -----" >&2
        tail -n 40 "$f" >&2 || true
    done
}

fail_start() {
    log "ERROR: $*"
    tail_logs "$STATE/log/mariadb.log" "$STATE/log/slurmdbd.log" \
        "$STATE/log/slurmctld.log" "$STATE/log/slurmd.log" /var/log/munge/munged.log
    exit 1
}

# ------------------------------------------------------------------- install
cmd_install() {
    need_root
    local missing=() p
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        log "installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null
    else
        log "packages already installed"
    fi
    # The munge postinst creates a key; make sure one exists all the same.
    if [ ! -s /etc/munge/munge.key ]; then
        log "creating /etc/munge/munge.key"
        mungekey --create --keyfile=/etc/munge/munge.key
        chown munge:munge /etc/munge/munge.key
        chmod 0400 /etc/munge/munge.key
    fi
    command -v slurmctld >/dev/null && command -v mariadbd >/dev/null \
        || die "install finished but slurmctld/mariadbd not found"
    log "install done ($(slurmctld -V))"
}

# -------------------------------------------------------------------- config
render() {  # render TEMPLATE DEST MODE
    local src=$1 dst=$2 mode=$3 node mem_mb realmem defmem gpu_files tmp
    node=$(node_name)
    mem_mb=$(awk '/^MemTotal:/ {print int($2/1024)}' /proc/meminfo)
    realmem="${MSFM_SLURM_MEM_MB:-$((mem_mb * 9 / 10))}"
    defmem=$((realmem / CPUS))
    gpu_files="$STATE/dev/nvidia[0-$((NGPUS - 1))]"
    tmp=$(mktemp "$dst.XXXXXX")
    sed -e "s|@CLUSTER@|$CLUSTER|g" -e "s|@NODE@|$node|g" -e "s|@STATE@|$STATE|g" \
        -e "s|@CPUS@|$CPUS|g" -e "s|@REALMEM@|$realmem|g" -e "s|@DEFMEMPERCPU@|$defmem|g" \
        -e "s|@NGPUS@|$NGPUS|g" -e "s|@GPU_FILES@|$gpu_files|g" "$src" >"$tmp"
    chmod "$mode" "$tmp"
    if [ -f "$dst" ] && cmp -s "$tmp" "$dst"; then
        rm -f "$tmp"
        return 1           # unchanged
    fi
    mv -f "$tmp" "$dst"
    return 0               # changed
}

write_config() {  # prints "changed" if slurm.conf or gres.conf changed
    local changed=0 i
    mkdir -p "$ETC" "$STATE"/{run,log,slurmctld,slurmd,dev}
    chmod 0755 "$STATE" "$STATE/run" "$STATE/log"
    # Fake GPUs: character devices (symlinks to /dev/null).
    for i in $(seq 0 $((NGPUS - 1))); do
        [ -c "$STATE/dev/nvidia$i" ] || ln -sfn /dev/null "$STATE/dev/nvidia$i"
    done
    render "$HERE/slurm.conf.in" "$ETC/slurm.conf" 0644 && changed=1
    render "$HERE/gres.conf.in" "$ETC/gres.conf" 0644 && changed=1
    render "$HERE/slurmdbd.conf.in" "$ETC/slurmdbd.conf" 0600 || true
    chown root:root "$ETC/slurmdbd.conf"
    [ "$changed" = 1 ] && echo changed || true
}

# --------------------------------------------------------------------- munge
start_munge() {
    if alive "$MUNGE_PID" munged && munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
        return 0
    fi
    stop_pid "$MUNGE_PID" munged
    [ -s /etc/munge/munge.key ] || die "no /etc/munge/munge.key: run '$0 install' first"
    mkdir -p /run/munge /var/log/munge /var/lib/munge
    chown munge:munge /run/munge /var/log/munge /var/lib/munge
    chmod 0755 /run/munge
    rm -f "$MUNGE_SOCK" "$MUNGE_SOCK.lock"
    log "starting munged"
    runuser -u munge -- /usr/sbin/munged --pid-file="$MUNGE_PID" \
        || fail_start "munged failed to start"
    wait_for 15 "munge" bash -c 'munge -n | unmunge' || fail_start "munge does not work"
}

# ------------------------------------------------------------------- mariadb
mysql_ok() { mariadb --no-defaults --socket="$MYSQL_SOCK" -uroot -e 'SELECT 1' >/dev/null 2>&1; }

start_mariadb() {
    local pidfile="$STATE/run/mysqld.pid"
    if alive "$pidfile" mariadbd && mysql_ok; then
        return 0
    fi
    stop_pid "$pidfile" mariadbd
    rm -f "$MYSQL_SOCK" "$MYSQL_SOCK.lock"
    if [ ! -d "$STATE/mysql/mysql" ]; then
        log "initialising MariaDB datadir $STATE/mysql"
        rm -rf "$STATE/mysql"
        mkdir -p "$STATE/mysql"
        chown mysql:mysql "$STATE/mysql"
        mariadb-install-db --no-defaults --user=mysql --datadir="$STATE/mysql" \
            --auth-root-authentication-method=socket --skip-test-db \
            >"$STATE/log/mariadb-install.log" 2>&1 \
            || { tail_logs "$STATE/log/mariadb-install.log"; die "mariadb-install-db failed"; }
    fi
    chown -R mysql:mysql "$STATE/mysql"
    # mysql must be able to create the socket and pid file.
    chgrp mysql "$STATE/run" && chmod 0775 "$STATE/run"
    touch "$STATE/log/mariadb.log" && chown mysql:mysql "$STATE/log/mariadb.log"
    log "starting mariadbd"
    setsid /usr/sbin/mariadbd --no-defaults --user=mysql --datadir="$STATE/mysql" \
        --socket="$MYSQL_SOCK" --pid-file="$STATE/run/mysqld.pid" --skip-networking \
        --log-error="$STATE/log/mariadb.log" --innodb-buffer-pool-size=256M \
        --innodb-log-file-size=64M --innodb-lock-wait-timeout=900 \
        </dev/null >>"$STATE/log/mariadb.log" 2>&1 &
    wait_for 60 "mariadb" mysql_ok || fail_start "MariaDB did not come up"
}

# ------------------------------------------------------------------ slurmdbd
dbd_ok() { sacctmgr -n -P list cluster format=cluster >/dev/null 2>&1; }

# start_daemon NAME [ARGS...]: start /usr/sbin/NAME (logging to its own file) unless its pid
# file names a live NAME; a stale pid file is cleared first.
start_daemon() {
    local name=$1 pidfile="$STATE/run/$1.pid"
    shift
    if ! alive "$pidfile" "$name"; then
        stop_pid "$pidfile" "$name"
        log "starting $name"
        "/usr/sbin/$name" "$@" </dev/null >>"$STATE/log/$name.log" 2>&1 \
            || fail_start "$name failed to start"
    fi
}

start_slurmdbd() {
    start_daemon slurmdbd
    wait_for 60 "slurmdbd" dbd_ok || fail_start "slurmdbd not answering"
    if ! sacctmgr -n -P list cluster format=cluster 2>/dev/null | grep -qx "$CLUSTER"; then
        log "registering cluster $CLUSTER in accounting"
        sacctmgr -i add cluster "$CLUSTER" >/dev/null || fail_start "sacctmgr add cluster failed"
    fi
}

# ------------------------------------------------------- slurmctld + slurmd
ctld_ok() { scontrol ping 2>/dev/null | grep -q 'is UP'; }

start_slurmctld() {
    start_daemon slurmctld
    wait_for 30 "slurmctld" ctld_ok || fail_start "slurmctld not answering"
}

start_slurmd() { start_daemon slurmd -N "$(node_name)"; }

node_state() { sinfo -h -N -n "$(node_name)" -o '%T' 2>/dev/null | head -n1; }

node_usable() {
    # idle / mixed / allocated / completing, without drain/down/not-responding.
    case "$(node_state)" in
        idle | mixed | allocated | completing) return 0 ;;
        *) return 1 ;;
    esac
}

sacct_ok() { sacct -n -X -S now-1minutes >/dev/null 2>&1; }

wait_node() {
    local deadline=$((SECONDS + START_TIMEOUT)) resumed=0 st
    while [ $SECONDS -lt $deadline ]; do
        node_usable && return 0
        st=$(node_state)
        # A crashed run can leave the node drained/down; resume it once.
        case "$st" in
            *drain* | down*)
                if [ $resumed = 0 ] && alive "$STATE/run/slurmd.pid" slurmd; then
                    log "node state '$st' ($(sinfo -h -N -n "$(node_name)" -o '%E')); resuming"
                    scontrol update nodename="$(node_name)" state=resume 2>/dev/null || true
                    resumed=1
                fi
                ;;
        esac
        sleep 1
    done
    log "node state: '$(node_state)' reason: '$(sinfo -h -N -n "$(node_name)" -o '%E' 2>/dev/null)'"
    return 1
}

cmd_start() {
    need_root
    command -v slurmctld >/dev/null || die "slurm not installed: run '$0 install' first"
    local changed
    changed=$(write_config)
    if [ "$changed" = changed ] && { alive "$STATE/run/slurmctld.pid" slurmctld || alive "$STATE/run/slurmd.pid" slurmd; }; then
        log "configuration changed: restarting slurmctld and slurmd"
        stop_pid "$STATE/run/slurmd.pid" slurmd
        stop_pid "$STATE/run/slurmctld.pid" slurmctld
    fi
    start_munge
    start_mariadb
    start_slurmdbd
    start_slurmctld
    start_slurmd
    wait_node || fail_start "node not usable within ${START_TIMEOUT}s"
    wait_for 30 "sacct" sacct_ok || fail_start "sacct does not work"
    log "cluster up: $(sinfo -h -N -o '%N %P %T cpus=%c mem=%m gres=%G')"
}

# ---------------------------------------------------------------------- stop
cmd_stop() {
    need_root
    local i
    if alive "$STATE/run/slurmctld.pid" slurmctld && ctld_ok; then
        if [ -n "$(squeue -h -o %i 2>/dev/null)" ]; then
            log "cancelling all jobs"
            scancel --full --quiet $(squeue -h -o %i) 2>/dev/null || true
            for i in $(seq 1 60); do
                [ -z "$(squeue -h -o %i 2>/dev/null)" ] && break
                sleep 0.5
            done
        fi
    fi
    stop_pid "$STATE/run/slurmd.pid" slurmd
    stop_pid "$STATE/run/slurmctld.pid" slurmctld
    stop_pid "$STATE/run/slurmdbd.pid" slurmdbd
    stop_pid "$STATE/run/mysqld.pid" mariadbd
    stop_pid "$MUNGE_PID" munged
    rm -f "$MYSQL_SOCK" "$MYSQL_SOCK.lock" "$MUNGE_SOCK" "$MUNGE_SOCK.lock"
    # Job steps whose slurmd is gone (e.g. a crashed run): slurmstepd is only
    # ever started by our slurmd on this throw-away node.
    local steps victims
    steps=$(pgrep -x slurmstepd || true)
    if [ -n "$steps" ]; then
        victims=$(descendants $steps)
        log "killing leftover job steps: $(echo $steps $victims)"
        kill -KILL $steps $victims 2>/dev/null || true
    fi
    log "stopped"
}

cmd_reset() {
    need_root
    cmd_stop
    log "wiping $STATE"
    rm -rf "$STATE"
}

# -------------------------------------------------------------------- status
cmd_status() {
    local rc=0 st
    st=$(node_state || true)
    if node_usable; then
        log "node $(node_name): $st"
    else
        log "node $(node_name) not usable: '${st:-no answer from slurmctld}'"
        rc=1
    fi
    if sacct_ok; then log "sacct: ok"; else log "sacct: FAILED"; rc=1; fi
    return $rc
}

cmd_env() {
    cat <<EOF
export SLURM_CONF=$SLURM_CONF_PATH
export MSFM_SLURM_STATE=$STATE
export MSFM_SLURM_CLUSTER=$CLUSTER
export MSFM_SLURM_PARTITION=debug
export MSFM_SLURM_GPUS_PER_NODE=$NGPUS
export MSFM_SLURM_CPUS=$CPUS
EOF
}

case "${1:-}" in
    install) cmd_install ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    restart) cmd_stop; cmd_start ;;
    reset) cmd_reset ;;
    status) cmd_status ;;
    env) cmd_env ;;
    *) echo "usage: $0 install|start|stop|status|env|restart|reset" >&2; exit 2 ;;
esac
