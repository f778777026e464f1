#!/usr/bin/env bash
# InfluxDB 1.x upgraded for real with plans/influxdb.yaml. Debian's influxd
# 1.6.7 (packages influxdb and influxdb-client) runs from a copy in this
# test's directory, with its own configuration on free loopback ports and
# auth enabled, holding two databases, two retention policies, a continuous
# query, users with privileges and points; the swap puts in the influxd of
# the influxdb 1.6.7~rc0-1+b13 package. Both paths of the upgrade guide,
# each on a fresh server:
#   A. in-place (0.12-1.3): stop, swap, start;
#   B. backup-restore (0.10/0.11): the metastore exported with "influxd
#      backup", restored with "influxd restore -metadir" and chowned. Debian
#      12 has no 0.11, so the branch is taken with the answer
#      upgrade_path: backup-restore on the 1.6.7 server (the plan's header
#      says why that is a real use of it, not a trick).
# After each, what the server itself says is compared with before: users,
# privileges, retention policies, continuous queries and point counts
# (_internal, which appears some seconds after a start, left out).
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"

IX_DEB_VERSION=1.6.7~rc0-1+b13
ADMIN=admin
ADMIN_PW='Adm1n-pw-never-logged'

for p in influxd influx; do
	command -v "$p" >/dev/null || { echo "$p is not installed (tools/bootstrap.sh installs influxdb and influxdb-client)"; exit 1; }
done
NEW_DEB=$(fetch_deb influxdb "$IX_DEB_VERSION") || { echo "cannot fetch influxdb $IX_DEB_VERSION"; exit 1; }
mkdir -p "$T_DIR/new" && dpkg-deb -x "$NEW_DEB" "$T_DIR/new" || { echo "cannot unpack $NEW_DEB"; exit 1; }
NEW_SHA=$(sha256sum "$T_DIR/new/usr/bin/influxd" | cut -d' ' -f1)
if id influxdb >/dev/null 2>&1 && getent group influxdb >/dev/null; then
	OWNER=influxdb:influxdb
else
	OWNER=$(id -un):$(id -gn)
fi

iq() {
	influx -host 127.0.0.1 -port "$HP" -username "$ADMIN" -password "$ADMIN_PW" -format csv -execute "$1"
}

ix_pid() {
	cat "$IX/influxd.pid" 2>/dev/null
}

ix_ping() {
	iq 'SHOW DIAGNOSTICS' >/dev/null 2>&1
}

# ix_setup NAME: a sandbox $T_DIR/NAME with a copy of the installed influxd,
# a configuration on two free ports, started and waited for.
ix_setup() {
	IX=$T_DIR/$1
	HP=$(free_port) || return 1
	RP=$(free_port) || return 1
	while [ "$RP" = "$HP" ]; do RP=$(free_port) || return 1; done
	mkdir -p "$IX/bin" "$IX/meta" "$IX/data" "$IX/wal" || return 1
	# Debian 12 has one influxdb: the installed influxd is the package's,
	# byte for byte, and the swap would find it "already the new file". The
	# old one here is the installed one with a line appended (an ELF file
	# runs the same with bytes after its end), so that the swap really
	# replaces a different file.
	cp -p "$(command -v influxd)" "$IX/bin/influxd" || return 1
	echo "upshift test: the old influxd" >> "$IX/bin/influxd" || return 1
	OLD_SHA=$(sha256sum "$IX/bin/influxd" | cut -d' ' -f1)
	[ "$OLD_SHA" != "$NEW_SHA" ] || return 1
	cat > "$IX/influxdb.conf" <<CONF
reporting-enabled = false
bind-address = "127.0.0.1:$RP"
[meta]
  dir = "$IX/meta"
[data]
  dir = "$IX/data"
  wal-dir = "$IX/wal"
  query-log-enabled = false
[monitor]
  store-enabled = true
  store-interval = "2s"
[http]
  bind-address = "127.0.0.1:$HP"
  auth-enabled = true
  log-enabled = false
CONF
	"$IX/bin/influxd" run -config "$IX/influxdb.conf" -pidfile "$IX/influxd.pid" >> "$IX/influxd.log" 2>&1 &
	t_track $!
	# The first admin may be created without credentials; then auth holds.
	wait_for 60 sh -c "influx -host 127.0.0.1 -port $HP -execute 'CREATE USER $ADMIN WITH PASSWORD '\''$ADMIN_PW'\'' WITH ALL PRIVILEGES' >/dev/null 2>&1" || return 1
}

# ix_fill: the data every comparison looks at.
ix_fill() {
	local f=$IX/import.txt i now
	now=$(date +%s)
	{
		echo '# DDL'
		echo 'CREATE DATABASE telemetry'
		echo 'CREATE RETENTION POLICY two_weeks ON telemetry DURATION 14d REPLICATION 1'
		echo 'CREATE DATABASE audit'
		echo '# DML'
		echo '# CONTEXT-DATABASE: telemetry'
		echo '# CONTEXT-RETENTION-POLICY: autogen'
		for i in $(seq 0 1999); do
			echo "cpu,host=h$((i % 20)) value=$i,temp=$((i % 7)).5 $((1577836800 + i * 60))000000000"
		done
		echo '# CONTEXT-RETENTION-POLICY: two_weeks'
		for i in $(seq 0 299); do
			echo "mem,host=h$((i % 3)) used=$((i * 3))i $((now - 3600 - i))000000000"
		done
		echo '# CONTEXT-DATABASE: audit'
		echo '# CONTEXT-RETENTION-POLICY: autogen'
		for i in $(seq 0 49); do
			echo "login,user=u$((i % 5)) ok=true $((1600000000 + i))000000000"
		done
	} > "$f"
	influx -host 127.0.0.1 -port "$HP" -username "$ADMIN" -password "$ADMIN_PW" -import -path "$f" >/dev/null 2>&1 || return 1
	iq "CREATE USER reader WITH PASSWORD 'r3ader'" >/dev/null &&
	iq 'GRANT READ ON telemetry TO reader' >/dev/null &&
	iq "CREATE USER scribe WITH PASSWORD 'scr1be'" >/dev/null &&
	iq 'GRANT WRITE ON audit TO scribe' >/dev/null &&
	iq 'CREATE CONTINUOUS QUERY cq_hourly ON telemetry BEGIN SELECT mean(value) INTO telemetry.autogen.cpu_1h FROM cpu GROUP BY time(1h) END' >/dev/null &&
	# _internal is there before the upgrade: the plan must leave it out.
	wait_for 60 sh -c "influx -host 127.0.0.1 -port $HP -username $ADMIN -password '$ADMIN_PW' -execute 'SHOW DATABASES' | grep -qx _internal"
}

# What the server holds, read from it, _internal left out. Each part is
# sorted, so that the order of the server's answer does not matter.
ix_users() {
	iq 'SHOW USERS' | sort
}
ix_privileges() {
	local u
	for u in $(iq 'SHOW USERS' | sed 1d | cut -d, -f1); do
		iq "SHOW GRANTS FOR \"$u\"" | sed 1d | sed "s/^/$u: /"
	done | sort
}
ix_dbs() {
	iq 'SHOW DATABASES' | sed 1d | cut -d, -f2 | grep -vx _internal | sort
}
ix_rps() {
	local db
	for db in $(ix_dbs); do
		iq "SHOW RETENTION POLICIES ON \"$db\"" | sed 1d | sed "s/^/$db: /"
	done | sort
}
ix_cqs() {
	iq 'SHOW CONTINUOUS QUERIES' | grep -v '^name,name,query$' | grep -v '^_internal,' | sort
}
# Points per database, retention policy, measurement and field.
ix_counts() {
	local db rp
	for db in $(ix_dbs); do
		for rp in $(iq "SHOW RETENTION POLICIES ON \"$db\"" | sed 1d | cut -d, -f1); do
			iq "SELECT count(*) FROM \"$db\".\"$rp\"./.*/" | sed "s/^/$db.$rp: /"
		done
	done | sort
}
IX_PARTS=(users privileges dbs rps cqs counts)
# ix_save: each part into B_<part>, to compare after the upgrade.
ix_save() {
	local part
	for part in "${IX_PARTS[@]}"; do
		printf -v "B_$part" '%s' "$("ix_$part")"
	done
}

# ix_answers FILE UPGRADE_PATH
ix_answers() {
	cat > "$1" <<ANS
package: $NEW_DEB
upgrade_path: $2
bin_dir: $IX/bin
influx: $(command -v influx)
config: $IX/influxdb.conf
host: 127.0.0.1
http_port: $HP
rpc_address: 127.0.0.1:$RP
meta_dir: $IX/meta
data_dir: $IX/data
wal_dir: $IX/wal
owner: "$OWNER"
admin_user: $ADMIN
admin_password: "$ADMIN_PW"
count_points: yes
service_manager: pidfile
pidfile: $IX/influxd.pid
log_file: $IX/influxd.log
backup_dir: $IX/backups
writers_paused: yes
config_reviewed: yes
writers_resumed: yes
ANS
	chmod 600 "$1"     # it holds a secret
}

# ix_upgraded LABEL STATE: the checks both paths share, after the run.
ix_upgraded() {
	local label=$1 state=$2 pid
	check_eq "$label: upshift run exits 0" "$T_RC" 0
	[ "$T_RC" = 0 ] || printf '%s\n' "$T_OUT" | tail -n 40 | sed 's/^/#   /'
	check_eq "$label: influxd in place is the package's" \
		"$(sha256sum "$IX/bin/influxd" | cut -d' ' -f1)" "$NEW_SHA"
	check_eq "$label: the kept old influxd is the one that ran before" \
		"$(sha256sum "$IX/bin/influxd.upshift-old" 2>/dev/null | cut -d' ' -f1)" "$OLD_SHA"
	check "$label: influxd was replaced by a rename (new inode)" \
		test "$(stat -c %i "$IX/bin/influxd")" != "$inode_before"
	pid=$(ix_pid)
	[ -n "$pid" ] && t_track "$pid"
	check "$label: a new influxd runs" test -n "$pid" -a "$pid" != "$pid_before"
	check_eq "$label: it runs the swapped file" "$(readlink "/proc/$pid/exe" 2>/dev/null)" "$IX/bin/influxd"
	check_match "$label: verify waited for GET /ping" "$T_OUT" \
		"waiting up to 1m30s for GET http://127\.0\.0\.1:$HP/ping to answer 2xx"
	check_match "$label: the running server reports 1.6.7" "$(iq 'SHOW DIAGNOSTICS' | grep '^build,')" ',1\.6\.7'
	for part in "${IX_PARTS[@]}"; do
		want=B_$part
		check_eq "$label: $part are the same as before" "$("ix_$part")" "${!want}"
	done
	check_match "$label: the journal's databases fact leaves _internal out" \
		"$(grep 'key: fact.databases' "$state/journal")" 'databases,telemetry'
	check "$label: ... and _internal is not in it" sh -c "! grep 'key: fact.databases' '$state/journal' | grep -q _internal"
	for s in detect backup disconnect stop swap migrate verify reconnect; do
		grep -q "ev: step_done, step: $s[,}]" "$state/journal" || not_ok "$label: journal: $s done"
	done
	check "$label: the admin password is in no file upshift wrote" \
		sh -c "! grep -rqF -- '$ADMIN_PW' '$state' '$IX/backups'"
	listing=$(backup_listing "$IX"/backups/influxdb-*.tar.zst)
	check_eq "$label: the cold backup is two archives" \
		"$(ls "$IX"/backups/influxdb-*.tar.zst | grep -c -- '-changed\.tar\.zst$')" 1
	check_match "$label: the cold backup holds meta.db" "$listing" "^${IX#/}/meta/meta\.db$"
	check_match "$label: the cold backup holds telemetry's points (WAL or TSM)" "$listing" \
		"^${IX#/}/(wal|data)/telemetry/autogen/[0-9]+/[^/]+\.(wal|tsm)$"
}

# --- A. in place ---------------------------------------------------------
ix_setup a || { echo "cannot start influxd (a)"; cat "$T_DIR/a/influxd.log" 2>/dev/null | tail; exit 1; }
ix_fill || { echo "cannot fill influxd (a)"; exit 1; }
ix_save
check_match "the data is there: 2000 cpu points" "$B_counts" '^telemetry\.autogen: cpu,0,2000,2000$'
check_match "the data is there: 300 mem points in two_weeks" "$B_counts" '^telemetry\.two_weeks: mem,0,300$'
check_match "the data is there: 50 audit points" "$B_counts" '^audit\.autogen: login,0,50$'
check_match "the data is there: the reader's privilege" "$B_privileges" '^reader: telemetry,READ$'
check_match "the data is there: two_weeks" "$B_rps" '^telemetry: two_weeks,336h0m0s,'
check_match "the data is there: the continuous query" "$B_cqs" 'cq_hourly'
check_match "the data is there: three users" "$B_users" '^scribe,false$'
answers=$T_DIR/answers-a.yaml
ix_answers "$answers" in-place

# upshift plan shows the plan with the answers, every command resolved.
run_upshift plan influxdb --plans-dir "$PLANS_DIR" --answers "$answers"
check_eq "upshift plan exits 0" "$T_RC" 0
check_match "plan: the version command is resolved" "$T_OUT" "\\\$ $IX/bin/influxd version"
check_match "plan: the metastore export is shown with its condition" "$T_OUT" \
	"when upgrade_path = backup-restore"
check_match "plan: the export names the RPC address" "$T_OUT" \
	"influxd backup -host 127\.0\.0\.1:$RP $IX/backups/metastore"
check_match "plan: the restore names the meta directory" "$T_OUT" \
	"influxd restore -metadir $IX/meta $IX/backups/metastore"
check_match "plan: the cold archive lists the wal directory" "$T_OUT" "^ +$IX/wal$"
check_match "plan: readiness is GET /ping" "$T_OUT" "ready: GET http://"
check "plan: the password is not shown" sh -c "! printf '%s' \"\$1\" | grep -qF -- '$ADMIN_PW'" _ "$T_OUT"

# upshift answers: the template, once filled, loads.
run_upshift answers influxdb --plans-dir "$PLANS_DIR"
check_eq "upshift answers exits 0" "$T_RC" 0
printf '%s\n' "$T_OUT" > "$T_DIR/template.yaml"
run_upshift plan influxdb --plans-dir "$PLANS_DIR" --answers "$T_DIR/template.yaml"
check_eq "the unfilled template is refused (exit 2)" "$T_RC" 2
check_match "... naming what is missing" "$T_OUT" 'missing required answers: .*package'
sed -e "s|^package:.*|package: $NEW_DEB|" -e 's/^\([a-z_]*\): no$/\1: yes/' \
	"$T_DIR/template.yaml" > "$T_DIR/filled.yaml"
run_upshift plan influxdb --plans-dir "$PLANS_DIR" --answers "$T_DIR/filled.yaml"
check_eq "the filled template loads" "$T_RC" 0
check_match "... with the plan's defaults" "$T_OUT" '/usr/bin/influxd version'

# Refusals before anything changes: an https readiness check whose CA file
# cannot be read, and raft.db in place.
pid_before=$(ix_pid)
mkdir -p "$T_DIR/plans"
sed -e 's|^\( *\)http: "http://\(.*\)"$|\1http: "https://\2"\n\1ca_file: "'"$T_DIR"'/no-such-ca.pem"|' \
	"$PLANS_DIR/influxdb.yaml" > "$T_DIR/plans/influxdb.yaml"
chmod 0644 "$T_DIR/plans/influxdb.yaml"
run_upshift run influxdb --plans-dir "$T_DIR/plans" --answers "$answers" --yes --state-dir "$T_DIR/state-https"
check_eq "an https readiness check whose CA file is missing is refused by the preflight (exit 2)" "$T_RC" 2
check_match "... naming the file and why" "$T_OUT" 'influxdb\.yaml:[0-9]+:[0-9]+: ready: ca_file: cannot read ".*/no-such-ca\.pem": No such file or directory'
check_eq "... and influxd still runs, untouched" "$(ix_pid)" "$pid_before"
check "... and no backup was made" test ! -e "$IX/backups"
check_eq "... and influxd is the old file still" "$(sha256sum "$IX/bin/influxd" | cut -d' ' -f1)" "$OLD_SHA"
check "... and nothing staged is left beside it" test ! -e "$IX/bin/influxd.upshift-new"
touch "$IX/meta/raft.db"
run_upshift run influxdb --plans-dir "$PLANS_DIR" --answers "$answers" --yes --state-dir "$T_DIR/state-raft"
rm -f "$IX/meta/raft.db"
check_eq "in-place with a raft.db is refused (exit 3)" "$T_RC" 3
check_match "... saying to use backup-restore" "$T_OUT" 'raft\.db is a pre-0\.12 metastore: answer upgrade_path: backup-restore'
check_eq "... and influxd still runs, untouched" "$(ix_pid)" "$pid_before"
check_eq "... and influxd is the old file still" "$(sha256sum "$IX/bin/influxd" | cut -d' ' -f1)" "$OLD_SHA"

inode_before=$(stat -c %i "$IX/bin/influxd")
state=$T_DIR/state-a
run_upshift run influxdb --plans-dir "$PLANS_DIR" --answers "$answers" --yes --state-dir "$state"
printf '%s\n' "$T_OUT" > "$T_DIR/run-a.out"
ix_upgraded "in-place" "$state"
check "in-place: no metastore was exported" test ! -e "$IX/backups/metastore"
check "in-place: no restore ran (no node.json)" test ! -e "$IX/meta/node.json"
check "in-place: influxd restore did not run" sh -c "! grep -q 'Using metastore snapshot' '$T_DIR/run-a.out'"

# --- B. backup-restore (the 0.10/0.11 path) ------------------------------
ix_setup b || { echo "cannot start influxd (b)"; cat "$T_DIR/b/influxd.log" 2>/dev/null | tail; exit 1; }
ix_fill || { echo "cannot fill influxd (b)"; exit 1; }
ix_save
answers=$T_DIR/answers-b.yaml
ix_answers "$answers" backup-restore
pid_before=$(ix_pid)
inode_before=$(stat -c %i "$IX/bin/influxd")
meta_inode_before=$(stat -c %i "$IX/meta/meta.db")
state=$T_DIR/state-b
run_upshift run influxdb --plans-dir "$PLANS_DIR" --answers "$answers" --yes --state-dir "$state"
printf '%s\n' "$T_OUT" > "$T_DIR/run-b.out"
ix_upgraded "backup-restore" "$state"
check "backup-restore: influxd backup exported the metastore" test -s "$IX/backups/metastore/meta.00"
check_match "backup-restore: influxd restore used that export" "$T_OUT" \
	"Using metastore snapshot: $IX/backups/metastore/meta\.00"
check "backup-restore: the restore wrote the meta directory (node.json)" test -s "$IX/meta/node.json"
check "backup-restore: meta.db is a new file" test "$(stat -c %i "$IX/meta/meta.db")" != "$meta_inode_before"
check_eq "backup-restore: the meta directory belongs to $OWNER" \
	"$(stat -c %U:%G "$IX/meta/meta.db") $(stat -c %U:%G "$IX/meta")" "$OWNER $OWNER"
check "backup-restore: the migration is journaled as done" grep -q 'key: migrate.done.0' "$state/journal"

# The plan promises that rollback undoes the restore: the archived meta
# directory comes back, and the old influxd runs on it. (The answers are
# given again: the saved ones leave out the admin password, a secret.)
pid_before=$(ix_pid)
run_upshift rollback influxdb --plans-dir "$PLANS_DIR" --answers "$answers" --state-dir "$state" --yes
printf '%s\n' "$T_OUT" > "$T_DIR/rollback-b.out"
check_eq "rollback: exits 4 (rolled back)" "$T_RC" 4
[ "$T_RC" = 4 ] || printf '%s\n' "$T_OUT" | tail -n 20 | sed 's/^/#   /'
pid=$(ix_pid)
[ -n "$pid" ] && t_track "$pid"
check_eq "rollback: the old influxd is back in place" "$(sha256sum "$IX/bin/influxd" | cut -d' ' -f1)" "$OLD_SHA"
check "rollback: an influxd runs again, started anew" test -n "$pid" -a "$pid" != "$pid_before"
check_eq "rollback: it runs the old file" "$(sha256sum "/proc/$pid/exe" 2>/dev/null | cut -d' ' -f1)" "$OLD_SHA"
check "rollback: the meta directory is the archived one (no node.json)" test ! -e "$IX/meta/node.json"
check_eq "rollback: meta.db is root's again, as archived" "$(stat -c %U "$IX/meta/meta.db")" "$(id -un)"
wait_for 30 ix_ping
for part in "${IX_PARTS[@]}"; do
	want=B_$part
	check_eq "rollback: $part are the same as before" "$("ix_$part")" "${!want}"
done

t_done
