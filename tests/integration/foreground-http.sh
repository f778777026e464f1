#!/usr/bin/env bash
# A start command that stays in the foreground, with ready: http: (issue
# 13): the toy plan's service is an HTTP server run in the foreground
# (python3 -m http.server), which writes no pid file, and the plan names
# no port to watch: its ready: http: check alone tells when it is up.
# upshift leaves it running as the service, writes its pid to the pid file
# (so the rollback's stop finds it), and the rollback starts the old one
# the same way. Before, verify waited for the command to exit and failed.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/toy.sh"

root=$T_DIR/root
state=$T_DIR/state
port=$(free_port) || { echo "no free port"; exit 1; }
toy_release 0.80.2 "$T_DIR/toy-0.80.2.tar.gz" || { echo "cannot build the release"; exit 1; }
toy_sandbox "$root" 0.30.0 || { echo "cannot set up the toy sandbox"; exit 1; }
mkdir -p "$T_DIR/plans"
python3 - "$UPSHIFT_SRCDIR/tests/data/plans/toy.yaml" "$T_DIR/plans/toy.yaml" <<'PY' || { echo "cannot write the plan"; exit 1; }
import sys
s = open(sys.argv[1]).read()
pairs = [
    ('''  - {key: package_sha256''', '''  - {key: port, text: Port, type: integer}
  - {key: package_sha256'''),
    ('''    shell: 'exec "$root/opt/toy/bin/toyd" start "$root/data" "$TOY_PIDFILE"'
''', '''    shell: 'exec python3 -m http.server --bind 127.0.0.1 --directory "$root/data" "$port"'
'''),
    ('''  ready: {run: ["${root}/opt/toy/bin/toyctl", ping, "${root}/run/toyd.pid"], timeout: 30s}''',
     '''  ready: {http: "http://127.0.0.1:${port}/items", timeout: 30s}'''),
]
for old, new in pairs:
    if old not in s:
        sys.exit("not in the plan: %r" % old)
    s = s.replace(old, new, 1)
open(sys.argv[2], "w").write(s)
PY
printf 'root: %s\npackage: %s\nport: %s\nbackup_dir: %s\n' "$root" "$T_DIR/toy-0.80.2.tar.gz" \
	"$port" "$T_DIR/backups" > "$T_DIR/answers.yaml"

# The server before the upgrade, started as the plan starts it; the test
# writes its pid file.
python3 -m http.server --bind 127.0.0.1 --directory "$root/data" "$port" >/dev/null 2>&1 &
echo $! > "$TOY_PIDFILE"
t_track "$!"
wait_for 20 curl -sf -o /dev/null "http://127.0.0.1:$port/items" || { echo "the server did not start"; exit 1; }
first=$(toy_pid)

upshift_http() {
	run_upshift "$1" toy --plans-dir "$T_DIR/plans" --answers "$T_DIR/answers.yaml" --yes \
		--state-dir "$state"
	toy_track
	check_eq "the $1 exits $2" "$T_RC" "$2"
	[ "$T_RC" = "$2" ] || printf '%s\n' "$T_OUT" | sed 's/^/#   /' | tail -n 20
}

upshift_http run 0
check_eq "0.80.2 is installed" "$(toy_version)" 0.80.2
check "the server answers after upshift exited" curl -sf -o /dev/null "http://127.0.0.1:$port/items"
check "the pid file names the new server, not the first" test -n "$(toy_pid)" -a "$(toy_pid)" != "$first"
check_match "the pid file names the HTTP server" "$(tr '\0' ' ' < "/proc/$(toy_pid)/cmdline" 2>/dev/null)" \
	'http\.server'
check_match "upshift says the start command stays in the foreground" "$T_OUT" \
	'stays in the foreground'
second=$(toy_pid)

upshift_http rollback 4
check_eq "0.30.0 is back" "$(toy_version)" 0.30.0
check "the server answers after the rollback" curl -sf -o /dev/null "http://127.0.0.1:$port/items"
check "the rollback stopped the new server" pid_gone "${second:-0}"
toy_stop
t_done
