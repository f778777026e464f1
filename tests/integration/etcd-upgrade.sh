#!/usr/bin/env bash
# A real three-member etcd 3.4 cluster upgraded member by member with
# plans/etcd.yaml while three writers keep writing numbered keys through all
# three endpoints. The upgrade is a rebuild-style swap: Debian 12 has one
# etcd-server build (3.4.23-4+b4), so each member runs its own copy of that
# package's etcd with a marker appended after the ELF image (the loader
# ignores it): a distinct "old build" whose replacement by the package's
# binary shows in cmp and in /proc/PID/exe. Asserts on etcd's own data:
# every key a writer was told was written is there, with its value, on
# every member (serializable reads, from each member's own store); keys
# written while a member was down are read from that member once it is back;
# every member is healthy, runs the package's binary, in the same cluster.
# Also: a member whose peer is down is refused by the preflight (exit 3),
# and nothing changes.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"

ETCD_DEB_VERSION=${ETCD_DEB_VERSION:-3.4.23-4+b4}
ETCDCTL=$(command -v etcdctl) || { echo "etcdctl is not installed (package etcd-client)"; exit 1; }

deb=$(fetch_deb etcd-server "$ETCD_DEB_VERSION") || { echo "cannot fetch etcd-server"; exit 1; }
mkdir -p "$T_DIR/new" && dpkg-deb -x "$deb" "$T_DIR/new" || { echo "cannot unpack $deb"; exit 1; }
NEW_BIN=$T_DIR/new/usr/bin/etcd

NAMES=(m1 m2 m3)
declare -A CPORT PPORT DIR BIN PID OLD_SHA
# choose_ports: six distinct free ports, a client and a peer port for each
# member, and what follows from them.
choose_ports() {
	local p i n ports=()
	for _ in $(seq 1 20); do
		p=$(free_port) || break
		case " ${ports[*]} " in *" $p "*) continue ;; esac
		ports+=("$p")
		[ ${#ports[@]} = 6 ] && break
	done
	[ ${#ports[@]} = 6 ] || return 1
	initial=
	for i in 0 1 2; do
		n=${NAMES[$i]}
		CPORT[$n]=${ports[$((2 * i))]}
		PPORT[$n]=${ports[$((2 * i + 1))]}
		DIR[$n]=$T_DIR/$n
		BIN[$n]=$T_DIR/$n/root/usr/bin/etcd
		initial+="${initial:+,}$n=http://127.0.0.1:${PPORT[$n]}"
	done
	ENDPOINTS="$(endpoint m1),$(endpoint m2),$(endpoint m3)"
}
endpoint() { echo "http://127.0.0.1:${CPORT[$1]}"; }

ectl() {
	"$ETCDCTL" --dial-timeout=2s --command-timeout=5s "$@"
}

# member_setup NAME: a copy of the package's etcd for this member alone,
# made a distinct old build, a configuration file, an empty data directory.
member_setup() {
	local n=$1 d=${DIR[$1]}
	mkdir -p "$d/root/usr/bin" "$d/data" || return 1
	chmod 0700 "$d/data"
	cp -p "$NEW_BIN" "${BIN[$n]}" || return 1
	printf '\nupshift-test: old build of %s\n' "$n" >> "${BIN[$n]}" || return 1
	OLD_SHA[$n]=$(sha256sum "${BIN[$n]}" | cut -d' ' -f1)
	cat > "$d/etcd.conf.yml" <<CONF
name: $n
data-dir: $d/data
listen-client-urls: $(endpoint "$n")
advertise-client-urls: $(endpoint "$n")
listen-peer-urls: http://127.0.0.1:${PPORT[$n]}
initial-advertise-peer-urls: http://127.0.0.1:${PPORT[$n]}
initial-cluster: $initial
initial-cluster-token: upshift-test
initial-cluster-state: new
CONF
}

# member_start NAME: start the member's own binary, record its pid in its
# pid file (as start-stop-daemon --make-pidfile does for the plan).
member_start() {
	local n=$1 d=${DIR[$1]}
	"${BIN[$n]}" --config-file "$d/etcd.conf.yml" >> "$d/etcd.log" 2>&1 &
	PID[$n]=$!
	t_track "${PID[$n]}"
	echo "${PID[$n]}" > "$d/etcd.pid"
}

member_pid() {
	cat "${DIR[$1]}/etcd.pid" 2>/dev/null
}

alive() {
	kill -0 "$1" 2>/dev/null && ! grep -q '^State:.*[ZX]' "/proc/$1/status" 2>/dev/null
}

# member_kill NAME: stop the member this test started, by its pid.
member_kill() {
	local pid
	pid=$(member_pid "$1")
	kill "$pid" 2>/dev/null
	wait_for 30 sh -c "! kill -0 $pid 2>/dev/null || grep -q '^State:.*Z' /proc/$pid/status"
}

cluster_healthy() {
	ectl --endpoints "$ENDPOINTS" endpoint health >/dev/null 2>&1
}

# The w/ keys a member holds, "key value" a line, sorted, read from its own
# store (serializable: the member answers without asking the leader).
member_keys() {
	ectl --endpoints "$(endpoint "$1")" get w/ --prefix --consistency=s 2>/dev/null |
		paste -d' ' - - | sort
}

answers_for() {
	local n=$1 d=${DIR[$1]}
	cat > "$d/answers.yaml" <<ANS
package: $deb
etcd_bin: ${BIN[$n]}
etcdctl: $ETCDCTL
member_name: $n
endpoint: $(endpoint "$n")
data_dir: $d/data
service_manager: pidfile
pidfile: $d/etcd.pid
config: $d/etcd.conf.yml
log_file: $d/etcd.log
backup_dir: $d/backups
clients_failover: yes
ANS
}

# healthy, or a member has exited (a port taken by someone else first)
healthy_or_dead() {
	local n
	for n in "${NAMES[@]}"; do
		alive "${PID[$n]}" || return 0
	done
	cluster_healthy
}

cluster_up() {
	local n
	choose_ports || return 1
	for n in "${NAMES[@]}"; do
		member_setup "$n" || return 1
		answers_for "$n"
	done
	for n in "${NAMES[@]}"; do
		member_start "$n"
	done
	wait_for 60 healthy_or_dead && cluster_healthy
}

# A port found free may be taken by another test before etcd binds it: then
# the cluster starts again from nothing on other ports (three tries at most).
up=
for attempt in 1 2 3; do
	if cluster_up; then
		up=1
		break
	fi
	tail -n 3 "$T_DIR"/m*/etcd.log
	echo "# the cluster did not start (try $attempt); again on other ports"
	for n in "${NAMES[@]}"; do
		[ -n "${PID[$n]:-}" ] && kill "${PID[$n]}" 2>/dev/null
	done
	for n in "${NAMES[@]}"; do
		[ -n "${PID[$n]:-}" ] && wait_for 30 sh -c "! kill -0 ${PID[$n]} 2>/dev/null || grep -q '^State:.*Z' /proc/${PID[$n]}/status"
	done
	rm -rf "$T_DIR/m1" "$T_DIR/m2" "$T_DIR/m3"
done
[ -n "$up" ] || { echo "the cluster did not become healthy"; exit 1; }
ok "three members are healthy"
check "each member's binary differs from the package's" sh -c "! cmp -s '${BIN[m1]}' '$NEW_BIN'"
check_match "the old build says 3.4.23" "$("${BIN[m1]}" --version)" '^etcd Version: 3\.4\.23$'
cluster_id=$(ectl --endpoints "$(endpoint m1)" endpoint status -w json | sed -n 's/.*"cluster_id":\([0-9]*\).*/\1/p')
check_match "the cluster has an id" "$cluster_id" '^[0-9]+$'
members_before=$(ectl --endpoints "$(endpoint m1)" member list -w simple | sort)
for i in $(seq 1 20); do
	ectl --endpoints "$ENDPOINTS" put "seed/$i" "seed value $i" >/dev/null
done

# The writers: three loops, each writing numbered keys (w/LANE-N) through
# all three endpoints, listed in another order by each, one etcdctl a key,
# until told to stop (at most 3000 keys and 300 s each). Three, with a short
# command timeout, so that a put stuck on a member as it stops does not keep
# every writer out of that member's downtime. A key logged as written was
# acknowledged by the cluster: "key value-N start_ms end_ms".
writer() {
	local lane=$1 endpoints=$2 n=0 t0 t1 key deadline=$((SECONDS + 300))
	while [ "$n" -lt 3000 ] && [ "$SECONDS" -lt "$deadline" ] && [ ! -e "$T_DIR/writer.stop" ]; do
		n=$((n + 1))
		key=$(printf 'w/%s-%05d' "$lane" "$n")
		t0=${EPOCHREALTIME/./}
		if "$ETCDCTL" --dial-timeout=1s --command-timeout=1s --endpoints "$endpoints" \
			put "$key" "value $lane-$n" >/dev/null 2>&1; then
			t1=${EPOCHREALTIME/./}
			echo "$key value-$lane-$n $((t0 / 1000)) $((t1 / 1000))" >> "$T_DIR/written.$lane"
		else
			echo "$key" >> "$T_DIR/failed.$lane"
		fi
		sleep 0.25
	done
}
writer_pids=()
e1=$(endpoint m1) e2=$(endpoint m2) e3=$(endpoint m3)
writer a "$e1,$e2,$e3" &
writer_pids+=($!)
writer b "$e2,$e3,$e1" &
writer_pids+=($!)
writer c "$e3,$e1,$e2" &
writer_pids+=($!)
for p in "${writer_pids[@]}"; do
	t_track "$p"
done
written() {
	cat "$T_DIR"/written.? 2>/dev/null
}
writers_stopped() {
	local p
	for p in "${writer_pids[@]}"; do
		kill -0 "$p" 2>/dev/null && return 1
	done
	return 0
}
wait_for 30 sh -c "[ \$(cat '$T_DIR'/written.? 2>/dev/null | wc -l) -ge 10 ]"
check "the writers are writing" test "$(written | wc -l)" -ge 10

# The values are "value LANE-N"; the log has them as value-LANE-N (one field).
written_kv() {
	written | awk '{ sub(/^value-/, "value ", $2); print $1, $2 }' | sort
}

# upshift plan, with member 1's answers: every command resolved, nothing done.
run_upshift plan etcd --plans-dir "$PLANS_DIR" --answers "${DIR[m1]}/answers.yaml"
check_eq "upshift plan exits 0" "$T_RC" 0
check_match "plan: detect asks the member's own binary" "$T_OUT" "version: \\$ ${BIN[m1]} --version"
check_match "plan: every member's health is checked" "$T_OUT" \
	"check: \\$ $ETCDCTL --endpoints $(endpoint m1) endpoint health --cluster -w json"
check_match "plan: the snapshot goes into the backup's work directory" "$T_OUT" \
	"snapshot save '?${DIR[m1]}/backups/etcd\\.work/etcd-m1\\.snapshot\\.db"
check_match "plan: the snapshot is checked with snapshot status" "$T_OUT" "snapshot status .*etcd-m1\\.snapshot\\.db"
check_match "plan: swap archives the data directory while the member is down" "$T_OUT" \
	'tar --zstd -cf "\$f\.part" -C "\$\{data_dir\}" \.'
printf '%s\n' "$T_OUT" > "$T_DIR/plan.out"
check "plan: the data directory is no backup path (a rollback would restore it)" \
	sh -c "! grep -qx ' *${DIR[m1]}/data' '$T_DIR/plan.out'"
check_match "plan: the binary is swapped from the package" "$T_OUT" "${BIN[m1]} <- usr/bin/etcd"
check_match "plan: the member starts from its configuration" "$T_OUT" \
	"start-stop-daemon --start .*--exec ${BIN[m1]} -- --config-file ${DIR[m1]}/etcd.conf.yml"
check_match "plan: the member's name is resolved" "$T_OUT" "started, m1, "
check_match "plan: says nothing changed" "$T_OUT" "Nothing has been changed"
check "plan: no backup directory was made" test ! -e "${DIR[m1]}/backups"

# The answers template, once the package and the member's name are filled
# in, loads.
run_upshift answers etcd --plans-dir "$PLANS_DIR"
check_eq "upshift answers exits 0" "$T_RC" 0
printf '%s\n' "$T_OUT" > "$T_DIR/template.yaml"
for key in package etcd_bin etcdctl member_name endpoint data_dir service_manager pidfile config clients_failover; do
	check_match "the template has $key" "$T_OUT" "^#? ?$key:"
done
sed -e "s|^package:.*|package: $deb|" -e "s|^member_name:.*|member_name: m1|" \
	-e "s|^clients_failover:.*|clients_failover: yes|" "$T_DIR/template.yaml" > "$T_DIR/filled.yaml"
run_upshift plan etcd --plans-dir "$PLANS_DIR" --answers "$T_DIR/filled.yaml"
check_eq "the filled template loads" "$T_RC" 0
[ "$T_RC" = 0 ] || printf '#   %s\n' "$T_OUT" | tail -n 5

# Refused: with member 3 down, member 1's preflight stops (exit 3) and
# changes nothing.
pid1=$(member_pid m1)
member_kill m3 || { echo "member 3 did not stop"; exit 1; }
run_upshift run etcd --plans-dir "$PLANS_DIR" --answers "${DIR[m1]}/answers.yaml" --yes \
	--state-dir "$T_DIR/refused-state"
check_eq "a member with a peer down is refused: exit 3" "$T_RC" 3
check_match "the refusal says a member is not healthy" "$T_OUT" 'not every member of the cluster is healthy'
check "member 1 still runs, the same process" alive "$pid1"
check_eq "member 1's pid file is unchanged" "$(member_pid m1)" "$pid1"
check_eq "member 1's binary is unchanged" "$(sha256sum "${BIN[m1]}" | cut -d' ' -f1)" "${OLD_SHA[m1]}"
check "nothing was staged beside member 1's binary" test ! -e "${BIN[m1]}.upshift-new"
check "no backup was made" test ! -e "${DIR[m1]}/backups"
check "no state directory is left (nothing to resume)" test ! -e "$T_DIR/refused-state"
member_start m3
wait_for 60 cluster_healthy || { tail -n 20 "${DIR[m3]}/etcd.log"; echo "member 3 did not come back"; exit 1; }
ok "member 3 is back"

# journal_ms STATE KEY: a time fact (epoch ms) from a journal.
journal_ms() {
	sed -n "s/.*key: $2, value: \"\\{0,1\\}\\([0-9]*\\)\"\\{0,1\\}}.*/\\1/p" "$1/journal" | head -n 1
}

# The rolling upgrade: member by member, each run with its own answers and
# state directory, while the writers write.
for n in "${NAMES[@]}"; do
	d=${DIR[$n]}
	state=$d/state
	pid_before=$(member_pid "$n")
	run_upshift run etcd --plans-dir "$PLANS_DIR" --answers "$d/answers.yaml" --yes --state-dir "$state"
	echo "$T_OUT" > "$d/run.out"
	check_eq "$n: upshift run exits 0" "$T_RC" 0
	[ "$T_RC" = 0 ] || sed 's/^/#   /' "$d/run.out" | tail -n 30
	pid=$(member_pid "$n")
	[ -n "$pid" ] && t_track "$pid"
	check "$n: the member was restarted" test "$pid" != "$pid_before"
	check "$n: the member runs" alive "$pid"
	check "$n: the running process is the package's binary" cmp -s "/proc/$pid/exe" "$NEW_BIN"
	check "$n: the binary in place is the package's" cmp -s "${BIN[$n]}" "$NEW_BIN"
	check_eq "$n: the kept old file is the old build" \
		"$(sha256sum "${BIN[$n]}.upshift-old" 2>/dev/null | cut -d' ' -f1)" "${OLD_SHA[$n]}"
	check_match "$n: the member reports 3.4.23" \
		"$(ectl --endpoints "$(endpoint "$n")" endpoint status -w json 2>/dev/null)" '"version":"3\.4\.23"'
	check_match "$n: verify found it caught up" "$T_OUT" 'caught up: reads the key written through'

	# Keys acknowledged while this member was down are in its own store.
	down=$(journal_ms "$state" stop.at)
	up=$(journal_ms "$state" verify.ready_at)
	written | awk -v a="$down" -v b="$up" '$3 >= a && $4 <= b { sub(/^value-/, "value ", $2); print $1, $2 }' |
		sort > "$d/downtime.kv"
	check "$n: the writers wrote while the member was down ($(wc -l < "$d/downtime.kv") keys)" \
		test -s "$d/downtime.kv"
	member_keys "$n" > "$d/keys.after"
	check_eq "$n: every key written while it was down is read from it" \
		"$(comm -23 "$d/downtime.kv" "$d/keys.after" | head -n 5)" ""

	# The backup: the snapshot in upshift's archive (etcdctl reads it),
	# the data directory archived by the plan while the member was down.
	backup=$(ls "$d"/backups/etcd-2*.tar.zst 2>/dev/null | head -n 1)
	check "$n: a backup archive was written" test -f "$backup"
	listing=$(tar -tf "$backup" 2>&1)
	check_match "$n: the archive holds the snapshot" "$listing" "etcd\\.work/etcd-$n\\.snapshot\\.db$"
	mkdir -p "$d/x"
	tar -xf "$backup" -C "$d/x" --wildcards "*etcd-$n.snapshot.db"
	snap=$(find "$d/x" -name "etcd-$n.snapshot.db" | head -n 1)
	check_match "$n: etcdctl snapshot status reads the archived snapshot" \
		"$("$ETCDCTL" snapshot status "$snap" -w json 2>/dev/null)" '"totalKey":[1-9]'
	data_archive=$(ls "$d"/backups/etcd-"$n"-data-*.tar.zst 2>/dev/null | head -n 1)
	check "$n: the data directory was archived" test -f "$data_archive"
	check_eq "$n: the data directory archive is mode 0600" "$(stat -c %a "$data_archive" 2>/dev/null)" 600
	listing=$(tar --zstd -tf "$data_archive" 2>&1)
	check_match "$n: it holds the member's database" "$listing" '^\./member/snap/db$'
	check_match "$n: it holds the member's WAL" "$listing" '^\./member/wal/.*\.wal$'
	for s in detect backup disconnect stop swap migrate verify reconnect; do
		grep -q "ev: step_done, step: $s[,}]" "$state/journal" || not_ok "$n: journal: $s done"
	done
	run_upshift status etcd --plans-dir "$PLANS_DIR" --state-dir "$state"
	check_match "$n: upshift status says it finished" "$T_OUT" 'finished: nothing left to do'
done

# After all three: every member healthy, on the package's binary, in the
# same cluster.
check "every member is healthy" cluster_healthy
for n in "${NAMES[@]}"; do
	check "$n runs the package's binary" cmp -s "/proc/$(member_pid "$n")/exe" "$NEW_BIN"
done
check_eq "the cluster is the same" \
	"$(ectl --endpoints "$(endpoint m3)" endpoint status -w json | sed -n 's/.*"cluster_id":\([0-9]*\).*/\1/p')" "$cluster_id"
check_eq "the member list is the same" "$(ectl --endpoints "$(endpoint m1)" member list -w simple | sort)" "$members_before"
check_match "the cluster version is 3.4.0" "$(curl -fsS --max-time 10 "$(endpoint m2)/version")" '"etcdcluster":"3\.4\.0"'

# Rolled back, still under the writers: member 3 runs its old build again,
# on its current data (restoring an older data directory under a running
# cluster would make it panic), and catches up.
pid_before=$(member_pid m3)
run_upshift rollback etcd --plans-dir "$PLANS_DIR" --yes --state-dir "${DIR[m3]}/state"
echo "$T_OUT" > "${DIR[m3]}/rollback.out"
check_eq "m3: upshift rollback exits 4" "$T_RC" 4
[ "$T_RC" = 4 ] || sed 's/^/#   /' "${DIR[m3]}/rollback.out" | tail -n 30
pid=$(member_pid m3)
[ -n "$pid" ] && t_track "$pid"
check "m3: the member was restarted" test "$pid" != "$pid_before"
check_eq "m3: its binary is the old build again" "$(sha256sum "${BIN[m3]}" | cut -d' ' -f1)" "${OLD_SHA[m3]}"
check "m3: the running process is the old build" cmp -s "/proc/$pid/exe" "${BIN[m3]}"
check "m3: its data directory was not replaced" \
	sh -c "! ls -d '${DIR[m3]}'/data.upshift-replaced* 2>/dev/null | grep -q ."
wait_for 30 cluster_healthy
check "every member is healthy after the rollback" cluster_healthy

# The writers stop; no acknowledged write is lost on any member.
touch "$T_DIR/writer.stop"
wait_for 30 writers_stopped
check "the writers stopped" writers_stopped
written_kv > "$T_DIR/written.kv"
echo "# the writers wrote $(wc -l < "$T_DIR/written.kv") keys, $(cat "$T_DIR"/failed.? 2>/dev/null | wc -l) failed"
check "the writers wrote at least 100 keys" test "$(wc -l < "$T_DIR/written.kv")" -ge 100
# lost_none NAME: the member holds every acknowledged key (keys.final).
lost_none() {
	member_keys "$1" > "${DIR[$1]}/keys.final"
	[ -z "$(comm -23 "$T_DIR/written.kv" "${DIR[$1]}/keys.final")" ]
}
for n in "${NAMES[@]}"; do
	wait_for 20 lost_none "$n"
	check_eq "$n: no acknowledged write is lost" \
		"$(comm -23 "$T_DIR/written.kv" "${DIR[$n]}/keys.final" | head -n 5)" ""
	check_eq "$n: the seed keys are there" \
		"$(ectl --endpoints "$(endpoint "$n")" get seed/ --prefix --consistency=s --keys-only | grep -c .)" 20
	check_eq "$n: the caught-up marker was removed" \
		"$(ectl --endpoints "$(endpoint "$n")" get upshift/ --prefix --keys-only | grep -c .)" 0
done

t_done
