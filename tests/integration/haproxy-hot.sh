#!/usr/bin/env bash
# A hot swap (upshift-plan(5), swap: hot:) with the shipped plans/haproxy.yaml:
# Debian's haproxy 2.6.12-1+deb12u3 in master-worker mode is upgraded to
# +deb12u4 while it serves. Stop and disconnect are skipped, reload: (SIGUSR2
# to the master) re-executes it from the swapped file; a client sends
# requests throughout and none may fail; the master's /proc/PID/exe is then
# the new file. The rollback reloads onto the old file the same way, again
# with no failed request. Detect refuses a configuration haproxy refuses.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"

OLD=2.6.12-1+deb12u3
NEW=2.6.12-1+deb12u4
old_deb=$(fetch_deb haproxy "$OLD") || { echo "# cannot fetch haproxy $OLD"; exit 77; }
new_deb=$(fetch_deb haproxy "$NEW") || { echo "# cannot fetch haproxy $NEW"; exit 77; }
dir=$T_DIR/hap
mkdir -p "$dir/root" "$dir/libs" "$dir/backups"
dpkg-deb -x "$old_deb" "$dir/root" || exit 1
# Libraries haproxy links with that a minimal machine may lack.
for lib in liblua5.3-0=5.3.6-2 libopentracing-c-wrapper0=1.1.3-3+b1 libopentracing1=1.6.0-4; do
	d=$(fetch_deb "${lib%%=*}" "${lib#*=}") || { echo "# cannot fetch $lib"; exit 77; }
	dpkg-deb -x "$d" "$dir/libs" || exit 1
done
export LD_LIBRARY_PATH=$dir/libs/usr/lib/x86_64-linux-gnu
bin=$dir/root/usr/sbin/haproxy
old_sha=$(sha256sum < "$bin" | cut -d' ' -f1)
new_sha=$(dpkg-deb --fsys-tarfile "$new_deb" | tar -xOf - ./usr/sbin/haproxy | sha256sum | cut -d' ' -f1)
check "the two packages hold different binaries" test "$old_sha" != "$new_sha"

port=$(free_port) || exit 1
cat > "$dir/haproxy.cfg" <<CFG
global
    log stderr format raw local0 emerg
defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend web
    bind 127.0.0.1:$port
    http-request return status 200 content-type text/plain string ok
CFG
"$bin" -W -D -p "$dir/haproxy.pid" -f "$dir/haproxy.cfg" || exit 1
wait_for 20 curl -sf -o /dev/null "http://127.0.0.1:$port/" || exit 1
master=$(head -n 1 "$dir/haproxy.pid")
t_track "$master"

# answers FILE CONFIG: the shipped plan's answers for this sandbox.
answers() {
	cat > "$1" <<ANSWERS
package: $new_deb
haproxy_bin: $bin
config: $2
url: http://127.0.0.1:$port/
service_manager: pidfile
pidfile: $dir/haproxy.pid
backup_dir: $dir/backups
ANSWERS
}
answers "$dir/answers.yaml" "$dir/haproxy.cfg"

run_upshift plan haproxy --plans-dir "$PLANS_DIR" --answers "$dir/answers.yaml"
check_eq "the shipped plan loads" "$T_RC" 0
[ "$T_RC" = 0 ] || printf '#   %s\n' "$T_OUT"
check_match "upshift plan says the swap is hot" "$T_OUT" 'hot swap: swapped while the service runs'
check_match "and that stop is skipped" "$T_OUT" 'stop: skipped \(a hot swap'
check_eq "and that verify starts nothing" "$(printf "%s\n" "$T_OUT" | grep -c "start the service (")" 0
check_match "but says the service keeps running" "$T_OUT" 'the service keeps running \(reloaded by the swap\)'

# Detect refuses a configuration the running binary refuses: a reload
# would leave the old master serving. Nothing changes.
printf 'frontend web\n    bind 127.0.0.1:%s\n    no-such-keyword\n' "$port" > "$dir/bad.cfg"
answers "$dir/bad-answers.yaml" "$dir/bad.cfg"
run_upshift run haproxy --plans-dir "$PLANS_DIR" --answers "$dir/bad-answers.yaml" --yes \
	--state-dir "$dir/bad-state"
check_eq "a configuration haproxy refuses: refused (exit 3)" "$T_RC" 3
check_match "saying why" "$T_OUT" "haproxy refuses its configuration $dir/bad.cfg"
check_eq "the binary is untouched" "$(sha256sum < "$bin" | cut -d' ' -f1)" "$old_sha"

# client COUNT FILE: COUNT requests one after the other, each status in FILE.
client() {
	for _ in $(seq 1 "$1"); do
		curl -s -o /dev/null -m 5 -w '%{http_code}\n' "http://127.0.0.1:$port/" || true
	done > "$2"
}
# upshift_under_load SUBCOMMAND CLIENTFILE OUTFILE: upshift run or rollback
# while a client sends requests, their statuses in CLIENTFILE.
upshift_under_load() {
	local cpid
	client 100000 "$2" &
	cpid=$!
	t_track "$cpid"
	wait_for 20 test -s "$2"
	run_upshift "$1" haproxy --plans-dir "$PLANS_DIR" --answers "$dir/answers.yaml" --yes --state-dir "$dir/state"
	printf '%s\n' "$T_OUT" > "$3"
	kill "$cpid"
	wait "$cpid" 2>/dev/null
}
# failed FILE: the requests of FILE that did not get a 200.
failed() {
	grep -cv '^200$' "$1"
}

upshift_under_load run "$dir/client1" "$dir/run.out"
check_eq "the run exits 0" "$T_RC" 0
[ "$T_RC" = 0 ] || tail -n 20 "$dir/run.out" | sed 's/^/#   /'
check_match "stop is skipped" "$T_OUT" 'stop.*skipped|skipped.*stop'
check_eq "the master kept its pid" "$(head -n 1 "$dir/haproxy.pid")" "$master"
check_eq "the master runs the new file" "$(sha256sum < "/proc/$master/exe" | cut -d' ' -f1)" "$new_sha"
n=$(wc -l < "$dir/client1")
echo "# $n requests during the upgrade"
check "the client sent requests throughout" test "$n" -gt 10
check_eq "no request failed during the upgrade" "$(failed "$dir/client1")" 0
check_match "the report says no downtime" "$T_OUT" 'downtime: none \(hot swap'
check_match "verify checked the serving process" "$T_OUT" "\(pid $master\) runs .*haproxy: the new file"

upshift_under_load rollback "$dir/client2" "$dir/rollback.out"
check_eq "the rollback exits 4 (rolled back)" "$T_RC" 4
[ "$T_RC" = 4 ] || tail -n 20 "$dir/rollback.out" | sed 's/^/#   /'
check_eq "the old binary is back on disk" "$(sha256sum < "$bin" | cut -d' ' -f1)" "$old_sha"
check_eq "the master runs the old file" "$(sha256sum < "/proc/$master/exe" | cut -d' ' -f1)" "$old_sha"
check_eq "no request failed during the rollback" "$(failed "$dir/client2")" 0
check_match "the rollback checked the serving process" "$T_OUT" "\(pid $master\) runs .*haproxy: the old file"

kill "$master"
wait_for 20 pid_gone "$master"
t_done
