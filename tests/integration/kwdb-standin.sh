#!/usr/bin/env bash
# plans/kwdb.yaml against the kwbase and deploy.sh stand-ins (tests/standins/):
# a standalone node upgraded offline, 3.0.0 -> 3.1.0; a multi-replica node
# refused while another node is down, a schema change runs or a single-replica
# cluster still runs; a healthy multi-replica node upgraded online, with the
# message to go on with the next node.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/kwdb.sh"

command -v python3 >/dev/null || { echo "# python3 is needed by the kwbase stand-in"; exit 77; }

# kw_run NAME ANSWERS: upshift run kwdb with its own state directory.
kw_run() {
	run_upshift run kwdb --plans-dir "$PLANS_DIR" --answers "$2" --yes \
		--state-dir "$T_DIR/state-$1"
	echo "$T_OUT" > "$T_DIR/run-$1.out"
}
show_tail() {
	sed 's/^/#   /' "$T_DIR/run-$1.out" | tail -n 30
}
TAB=$'\t'
sha() { sha256sum "$1" | cut -d' ' -f1; }
node_status() {
	"$KW_BIN" node status --host=127.0.0.1:"$KW_PORT" --insecure --format=tsv
}

# --- standalone: offline ---------------------------------------------------
kwdb_install "$T_DIR/single" single 3.0.0 || { echo "cannot install the stand-in"; exit 1; }
kwdb_package 3.1.0 || { echo "cannot build the 3.1.0 package"; exit 1; }
kwdb_start 3.0.0 || { echo "the 3.0.0 node did not start"; exit 1; }
data_sha=$(sha "$KW_DATA/000001.sst")
check_eq "standalone: 3.0.0 runs before" "$(kwdb_node_build)" V3.0.0
kwdb_answers "$T_DIR/single.yaml" 3.1.0

run_upshift plan kwdb --plans-dir "$PLANS_DIR" --answers "$T_DIR/single.yaml"
check_eq "upshift plan kwdb exits 0" "$T_RC" 0
check_match "upshift plan shows deploy.sh upgrade -l" "$T_OUT" 'deploy\.sh upgrade -l'
check_match "upshift plan shows the multi-replica preflight" "$T_OUT" "SHOW JOBS"
run_upshift answers kwdb --plans-dir "$PLANS_DIR"
check_eq "upshift answers kwdb exits 0" "$T_RC" 0
printf '%s\n' "$T_OUT" > "$T_DIR/template.yaml"
sed -i -e "s|^#* *package_dir:.*|package_dir: $KW_PKGS/3.1.0|" \
	-e "s|^#* *disconnect_check_1:.*|disconnect_check_1: yes|" "$T_DIR/template.yaml"
run_upshift plan kwdb --plans-dir "$PLANS_DIR" --answers "$T_DIR/template.yaml"
check_eq "the answers template loads once filled" "$T_RC" 0
[ "$T_RC" = 0 ] || printf '%s\n' "$T_OUT" | sed 's/^/#   /' | head -n 5

kw_run single "$T_DIR/single.yaml"
check_eq "standalone: upshift run exits 0" "$T_RC" 0
[ "$T_RC" = 0 ] || show_tail single
t_track "$(kwdb_pid)"
check_eq "standalone: the node reports build V3.1.0" "$(kwdb_node_build)" V3.1.0
check_match "standalone: kwbase node status shows V3.1.0, live" "$(node_status)" \
	"^1${TAB}127\.0\.0\.1:$KW_PORT${TAB}[^${TAB}]*${TAB}V3\.1\.0${TAB}.*${TAB}true${TAB}true$"
check_match "standalone: kwbase version is 3.1.0" "$("$KW_BIN" version)" '^KaiwuDB Version:  V3\.1\.0$'
check_eq "standalone: .version names 3.1.0" "$(sed -n 1p "$KW_ROOT/etc/kaiwudb/info/.version")" 3.1.0
check_match "standalone: deploy.sh status says it runs" "$("$KW_PKGS/3.1.0/deploy.sh" status)" \
	'KaiwuDB is runnning now\.'
check_eq "standalone: the data is the same" "$(sha "$KW_DATA/000001.sst")" "$data_sha"
check "standalone: upgraded offline (3.1.0 started without --upgrade-complete)" \
	grep -q "^V3.1.0 kwbase start-single-node .*--store=$KW_DATA \?$" "$KW_DATA/standin-commands.log"
check "standalone: no kwbase node upgrade" sh -c "! grep -q upgrade-complete '$KW_DATA/standin-commands.log'"
check_match "standalone: deploy.sh reported the upgrade" "$T_OUT" 'UPGRADE COMPLETED'
backup=$(ls "$T_DIR"/backups-single/kwdb-*.tar.zst 2>/dev/null | grep -v -- '-changed\.' | head -n 1)
check "standalone: a backup archive was written" test -f "$backup"
check_match "standalone: the backup holds the store" \
	"$(backup_listing "$T_DIR"/backups-single/kwdb-*.tar.zst)" '000001\.sst$'
check "standalone: no next-node message" sh -c "! grep -q 'next node' '$T_DIR/run-single.out'"
"$KW_PKGS/3.1.0/deploy.sh" stop >/dev/null

# --- multi-replica: refusals before any change --------------------------------
kwdb_install "$T_DIR/multi" multi-replication 3.0.0 || { echo "cannot install the stand-in"; exit 1; }
kwdb_package 3.1.0 || { echo "cannot build the 3.1.0 package"; exit 1; }
kwdb_start 3.0.0 || { echo "the 3.0.0 node did not start"; exit 1; }
kwdb_answers "$T_DIR/multi.yaml" 3.1.0
others() {      # is_live of node 3, then SHOW JOBS rows
	echo "{\"nodes\": [
	  {\"id\": 2, \"address\": \"127.0.0.2:$KW_PORT\", \"build\": \"V3.0.0\", \"is_live\": true, \"is_available\": true},
	  {\"id\": 3, \"address\": \"127.0.0.3:$KW_PORT\", \"build\": \"V3.0.0\", \"is_live\": $1, \"is_available\": $1}],
	 \"jobs\": [${2:-}]}"
}
pid_before=$(kwdb_pid)
unchanged() {
	[ "$(kwdb_node_build)" = V3.0.0 ] && [ "$(kwdb_pid)" = "$pid_before" ] &&
		[ "$(sed -n 1p "$KW_ROOT/etc/kaiwudb/info/.version")" = 3.0.0 ] &&
		"$KW_BIN" version | grep -q 'V3\.0\.0$' &&
		! ls "$T_DIR"/backups-multi/kwdb-*.tar.zst >/dev/null 2>&1
}

kwdb_cluster "$(others false)"
kw_run down "$T_DIR/multi.yaml"
check_eq "node 3 not live: exit 3 (inhibited)" "$T_RC" 3
[ "$T_RC" = 3 ] || show_tail down
check_match "node 3 not live: says what to do" "$T_OUT" 'not live or not available.*bring it back'
check "node 3 not live: nothing changed" unchanged

kwdb_cluster "$(others true '{"job_id": 7, "job_type": "SCHEMA CHANGE", "description": "ALTER TABLE t ADD COLUMN c INT", "statement": "", "user_name": "root", "status": "running"}')"
kw_run job "$T_DIR/multi.yaml"
check_eq "a schema change runs: exit 3" "$T_RC" 3
check_match "a schema change runs: says what to do" "$T_OUT" 'schema change or an import is running.*let it finish'
check "a schema change runs: nothing changed" unchanged

# --- multi-replica: online --------------------------------------------------
kwdb_cluster "$(others true '{"job_id": 6, "job_type": "SCHEMA CHANGE", "description": "done", "statement": "", "user_name": "root", "status": "succeeded"}')"
kw_run multi "$T_DIR/multi.yaml"
check_eq "multi-replica: upshift run exits 0" "$T_RC" 0
[ "$T_RC" = 0 ] || show_tail multi
t_track "$(kwdb_pid)"
check_eq "multi-replica: the node reports build V3.1.0" "$(kwdb_node_build)" V3.1.0
check_match "multi-replica: node 1 is live with V3.1.0" "$(node_status)" \
	"^1${TAB}127\.0\.0\.1:$KW_PORT${TAB}[^${TAB}]*${TAB}V3\.1\.0${TAB}.*${TAB}true${TAB}true$"
check "multi-replica: announced with kwbase node upgrade, restarted with --upgrade-complete" \
	grep -q '^V3.1.0 kwbase start --join=.*--upgrade-complete' "$KW_DATA/standin-commands.log"
check_eq "multi-replica: --upgrade-complete removed from kaiwudb_env again" \
	"$(cat "$KW_ROOT/etc/kaiwudb/script/kaiwudb_env")" 'KAIWUDB_START_ARG=""'
check "multi-replica: the node was never stopped by upshift" \
	sh -c "! grep -Eq \"deploy\\.sh'? stop\" '$T_DIR/run-multi.out'"
check_match "multi-replica: tells the operator to go on with the next node" "$T_OUT" \
	'rejoined the cluster and reports build 3\.1\.0.*Upgrade the next node now'
"$KW_PKGS/3.1.0/deploy.sh" stop >/dev/null

# --- single-replica cluster still running elsewhere ----------------------------
kwdb_install "$T_DIR/srep" single-replication 3.0.0 || { echo "cannot install the stand-in"; exit 1; }
kwdb_package 3.1.0 || { echo "cannot build the 3.1.0 package"; exit 1; }
kwdb_start 3.0.0 || { echo "the 3.0.0 node did not start"; exit 1; }
kwdb_answers "$T_DIR/srep.yaml" 3.1.0
kw_run srep "$T_DIR/srep.yaml"
check_eq "single-replica, other nodes not stopped: exit 3" "$T_RC" 3
check_match "single-replica: says to stop the other nodes" "$T_OUT" 'stop it on the other nodes.*cluster_stopped: yes'
check_eq "single-replica: still 3.0.0" "$(kwdb_node_build)" V3.0.0
"$KW_PKGS/3.1.0/deploy.sh" stop >/dev/null

t_done
