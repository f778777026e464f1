#!/bin/bash
# deploy.sh stand-in: KWDB's deployment script as it sits in an unpacked
# installation package (deploy.sh, packages/.version, packages/*server*,
# packages/*libcommon*), for tests/integration/kwdb-standin.sh.
#
# Follows KWDB/KWDB kaiwudb_install/deploy.sh and utils/kaiwudb_common.sh,
# kaiwudb_log.sh, kaiwudb_upgrade.sh, command for command and message for
# message, including the product's own spelling ("runnning") and its
# offline-upgrade failure text ("Pipe create failed: ..."):
#   status   [STATUS COMPLETED]:KaiwuDB is runnning now. | ... is not runnning.
#   start    [START COMPLETED]:KaiwuDB start successfully.
#   stop     [STOP COMPLETED]:KaiwuDB stop successfully.
#   upgrade -l|--local [--bypass-version-check]
#            install check, package check, install type, version_compare
#            (/etc/kaiwudb/info/.version against packages/.version), then:
#            stopped -> offline package swap; running and MODE line 2 not
#            "single" -> kwbase node upgrade <id>, swap, restart with
#            --upgrade-complete; running single -> "Current local node is not
#            support online upgrade! Please stop KaiwuDB then try again."
#            [UPGRADE COMPLETED]:Local node upgrade successfully.
# Errors are log_err lines ("[ERROR] <date> <message>" in red), exit 1.
#
# Departures, because a test cannot own a machine: every absolute path of the
# product lives under KW_ROOT (baked in by the test when it builds the
# package); systemd is replaced by KW_ROOT/run/kaiwudb.mainpid (the unit's
# MainPID) and the unit's ExecStart line, run in the background; packages
# are tar archives unpacked into KW_ROOT instead of .deb files for dpkg -i;
# no sudo.
KW_ROOT="@KW_ROOT@"

g_deploy_path=$(cd "$(dirname "$0")" && pwd)
INFO=$KW_ROOT/etc/kaiwudb/info
UNIT=$KW_ROOT/etc/systemd/system/kaiwudb.service
ENVFILE=$KW_ROOT/etc/kaiwudb/script/kaiwudb_env
MAINPID=$KW_ROOT/run/kaiwudb.mainpid

LOG_FILE=$g_deploy_path/log/$(date '+%Y-%m-%d')
mkdir -p "$g_deploy_path/log"

format_print() {
  printf "                                                                                                                           \r"
}
log_err() {
  local content="[ERROR] $(date '+%Y-%m-%d %H:%M:%S') $*"
  format_print
  echo "$content" >> "$LOG_FILE"
  echo -e "\033[31m" ${content} "\033[0m"
}

global_usage() {
  echo "Usage:
  deploy.sh Commands [Options]

Commands:
  install                  Install KaiwuDB
  uninstall                Uninstall KaiwuDB in local node
  cluster                  Cluster operate
  start                    Start KaiwuDB in local node
  stop                     Stop KaiwuDB in local node
  restart                  Restart KaiwuDB in local node
  status                   Get local node KaiwuDB status
Options:
  -h, --help
"
  exit 0
}

mode_line() { sed -n "${1}p" "$INFO/MODE" 2>/dev/null; }
install_check() { [ -e "$UNIT" ]; }
install_type() {
  local t
  t=$(mode_line 1)
  [ "$t" = bare ] || [ "$t" = container ] || return 1
  echo "$t"
}
running_type() { mode_line 2; }
local_port() { mode_line 5; }
local_addr() { sed -n '$p' "$INFO/MODE"; }
secure_opt() {
  case "$(mode_line 8)" in
    tls) echo "--certs-dir=$KW_ROOT/etc/kaiwudb/certs" ;;
    tlcp) echo "--certs-dir=$KW_ROOT/etc/kaiwudb/certs --tlcp" ;;
    *) echo "--insecure" ;;
  esac
}
kwbase_bin() { echo "$KW_ROOT/usr/local/kaiwudb/bin/kwbase"; }

# systemctl show --property MainPID --value kaiwudb
main_pid() {
  local pid
  pid=$(cat "$MAINPID" 2>/dev/null)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then echo "$pid"; else echo 0; fi
}
kw_status() { [ "$(main_pid)" -ne 0 ]; }

# systemctl start kaiwudb: ExecStart with the environment file's arguments,
# in the background; up when the node accepts connections on its port.
kw_start() {
  local exec_start args pid i
  exec_start=$(sed -n 's/^ExecStart=//p' "$UNIT")
  args=$(sed -n 's/^KAIWUDB_START_ARG="\(.*\)"$/\1/p' "$ENVFILE" 2>/dev/null)
  exec_start=${exec_start//\$KAIWUDB_START_ARG/$args}
  mkdir -p "$KW_ROOT/run" "$KW_ROOT/var/log"
  setsid bash -c "exec $exec_start" </dev/null >>"$KW_ROOT/var/log/kaiwudb.log" 2>&1 &
  pid=$!
  echo "$pid" > "$MAINPID"
  for i in $(seq 1 600); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$MAINPID"; return 1; }
    (exec 3<>"/dev/tcp/127.0.0.1/$(local_port)") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
kw_stop() {
  local pid i
  pid=$(main_pid)
  [ "$pid" -ne 0 ] || return 0
  kill -TERM "$pid" 2>/dev/null
  for i in $(seq 1 600); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$MAINPID"; return 0; }
    sleep 0.1
  done
  return 1
}
kw_restart() { kw_stop && kw_start; }

verify_files() {
  local files
  if [ ! -d "$g_deploy_path/packages" ]; then
    log_err "$g_deploy_path/packages: No such directory."
    exit 1
  fi
  files=$(ls "$g_deploy_path/packages")
  if echo $files | grep -wq "KaiwuDB.tar"; then
    g_deploy_type="container"
  else
    g_deploy_type="bare"
    for item in server libcommon; do
      if ! echo "$files" | grep -qo "$item"; then
        log_err "Package $item does not exist."
        exit 1
      fi
    done
  fi
}

version_le() {
  test "$(echo "$@" | tr " " "\n" | sort -V | head -n 1)" = "$1"
}
version_compare() {
  local old_basic old_ext new_basic new_ext
  [ -f "$INFO/.version" ] || return 0
  old_basic=$(sed -n '1p' "$INFO/.version")
  old_ext=$(sed -n '2p' "$INFO/.version")
  new_basic=$(sed -n '1p' "$g_deploy_path/packages/.version")
  new_ext=$(sed -n '2p' "$g_deploy_path/packages/.version")
  if [ "$new_basic" = "$old_basic" ]; then
    if [ -z "$old_ext" ] && [[ "$new_ext" =~ ^alpha || "$new_ext" =~ ^beta ]]; then
      echo "UPGRADE ERROR:Official version can not upgrade to $new_ext."
      return 1
    fi
    if [ "$new_ext" = "$old_ext" ] || version_le "$new_ext" "$old_ext"; then
      echo "UPGRADE ERROR:The upgrade conditions are not met.($old_ext --> $new_ext)"
      return 1
    fi
    return 0
  fi
  if version_le "$new_basic" "$old_basic"; then
    echo "UPGRADE ERROR:The requested upgrade version is older than the current installed version.(current:$old_basic new_version:$new_basic)"
    return 1
  fi
  return 0
}

# dpkg -r the old packages, dpkg -i the new ones, copy .version.
upgrade() {
  local pkg ret
  cd "$g_deploy_path/packages" || return 1
  for pkg in $(ls | grep libcommon) $(ls | grep server); do
    ret=$(tar -xf "$pkg" -C "$KW_ROOT" 2>&1) || { echo "$ret"; return 1; }
  done
  cp -f "$g_deploy_path/packages/.version" "$INFO/.version" || return 1
  return 0
}

cluster_nodeid() {
  local out
  out=$("$(kwbase_bin)" node status --host=127.0.0.1:"$(local_port)" $(secure_opt) 2>&1) || {
    echo "$out"
    return 1
  }
  echo "$out" | awk -F'\t' -v a="$(local_addr):$(local_port)" 'NR > 1 && $2 == a { print $1 }'
}
change_kwdb_status() {
  local node_id ret
  node_id=$(cluster_nodeid) || { echo "Get node id failed: $node_id."; return 1; }
  [ -n "$node_id" ] || { echo "Get node id failed: no node at $(local_addr):$(local_port)."; return 1; }
  ret=$(cd "$KW_ROOT/usr/local/kaiwudb/bin" && ./kwbase node upgrade "$node_id" --host=127.0.0.1:"$(local_port)" $(secure_opt) 2>&1) || {
    echo "$ret"
    return 1
  }
  return 0
}
recover_node() {
  sed -i 's/KAIWUDB_START_ARG="/&--upgrade-complete /' "$ENVFILE"
  if ! kw_restart; then
    echo "Restart KaiwuDB failed. For more information, use 'journalctl -u kaiwudb' to view the system logs."
    return 1
  fi
  sed -i 's/--upgrade-complete //g' "$ENVFILE"
}

g_kw_cmd=$1
[ $# -gt 0 ] && shift
g_upgrade_opt=
g_ign_cmp=
case "$g_kw_cmd" in
  install|uninstall|cluster|join|decommission|limit)
    log_err "the deploy.sh stand-in does not implement \"$g_kw_cmd\"."
    exit 1
    ;;
  start|stop|restart|status|upgrade) ;;
  *) global_usage ;;
esac
while [ $# -gt 0 ]; do
  case "$1" in
    -l|--local) g_upgrade_opt=local ;;
    -a|--all) g_upgrade_opt=all ;;
    --bypass-version-check) g_ign_cmp=yes ;;
    -h|--help) global_usage ;;
    *) global_usage ;;
  esac
  shift
done

if [ "$g_kw_cmd" = "status" ]; then
  if ! install_check; then
    log_err "KaiwuDB does not exist. Please install KaiwuDB first."
    exit 1
  fi
  if ! kw_status; then
    echo -e "\e[1;32m[STATUS COMPLETED]:\e[0mKaiwuDB is not runnning."
  else
    echo -e "\e[1;32m[STATUS COMPLETED]:\e[0mKaiwuDB is runnning now."
  fi
  exit 0
fi

if [ "$g_kw_cmd" = "start" ]; then
  if ! install_check; then
    log_err "KaiwuDB does not exist. Please install KaiwuDB first."
    exit 1
  fi
  if kw_status; then
    log_err "KaiwuDB is runnning now."
    exit 1
  fi
  if ! kw_start; then
    log_err "Start KaiwuDB failed. For more information, check kwbase log."
    exit 1
  fi
  echo -e "\e[1;32m[START COMPLETED]:\e[0mKaiwuDB start successfully."
  exit 0
fi

if [ "$g_kw_cmd" = "stop" ]; then
  if ! install_check; then
    log_err "KaiwuDB does not exist. Please install KaiwuDB first."
    exit 1
  fi
  if ! kw_status; then
    log_err "KaiwuDB is not runnning now."
    exit 1
  fi
  if ! kw_stop; then
    log_err "Stop KaiwuDB failed. For more information, use 'journalctl -u kaiwudb' to view the system logs."
    exit 1
  fi
  echo -e "\e[1;32m[STOP COMPLETED]:\e[0mKaiwuDB stop successfully."
  exit 0
fi

if [ "$g_kw_cmd" = "restart" ]; then
  if ! install_check; then
    log_err "KaiwuDB does not exist. Please install KaiwuDB first."
    exit 1
  fi
  if ! kw_status; then
    log_err "KaiwuDB is not runnning now."
    exit 1
  fi
  if ! kw_restart; then
    log_err "Restart KaiwuDB failed. For more information, use 'journalctl -u kaiwudb' to view the system logs."
    exit 1
  fi
  echo -e "\e[1;32m[RESTART COMPLETED]:\e[0mKaiwuDB restart successfully."
  exit 0
fi

# upgrade
trap "" INT
if ! install_check; then
  log_err "KaiwuDB does not exist. Please install KaiwuDB first."
  exit 1
fi
verify_files
if [ "$g_deploy_type" != "$(install_type)" ]; then
  log_err "Current use $(install_type), but the package is $g_deploy_type."
  exit 1
fi
if [ "$g_upgrade_opt" = "local" ]; then
  if [ "$g_ign_cmp" != "yes" ]; then
    func_info=$(version_compare)
    if [ $? -ne 0 ]; then
      log_err "$func_info"
      exit 1
    fi
  fi
  if ! kw_status; then
    # off-line upgrade
    func_info=$(upgrade)
    if [ $? -ne 0 ]; then
      log_err "Pipe create failed: $func_info."
      exit 1
    fi
  elif [ "$(running_type)" != "single" ]; then
    # on-line upgrade
    func_info=$(change_kwdb_status)
    if [ $? -ne 0 ]; then
      log_err "KaiwuDB change status failed: $func_info."
      exit 1
    fi
    func_info=$(upgrade)
    if [ $? -ne 0 ]; then
      log_err "KaiwuDB upgrade failed: $func_info."
      exit 1
    fi
    func_info=$(recover_node)
    if [ $? -ne 0 ]; then
      log_err "Recover KaiwuDB failed: $func_info."
      exit 1
    fi
  else
    log_err "Current local node is not support online upgrade! Please stop KaiwuDB then try again."
    exit 1
  fi
  echo -e "\e[1;32m[UPGRADE COMPLETED]:\e[0mLocal node upgrade successfully."
elif [ "$g_upgrade_opt" = "all" ]; then
  log_err "the deploy.sh stand-in does not implement \"upgrade --all\"."
  exit 1
else
  global_usage
fi
