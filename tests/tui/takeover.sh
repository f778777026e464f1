#!/usr/bin/env bash
# Who may attach to the engine's worker. A worker killed outright leaves a
# stale socket that the next wizard removes. A second wizard is told who is
# attached and takes over; the first says it was detached. A third one
# leaves it as it is. Another user cannot connect: the state directory and
# the socket are private, and with their modes opened the worker still
# refuses the peer (SO_PEERCRED). The wizard that took over then detaches
# on purpose, and upshift attach brings a wizard back to finish the upgrade;
# upshift rollback meanwhile is told the upgrade runs, and how to go on.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/redis.sh"
. "$UPSHIFT_SRCDIR/tests/lib/tui.sh"

redis_upgrade_setup
rm -f "$answers"
status() { "$UPSHIFT" status redis --plans-dir "$PLANS_DIR" --state-dir "$state" 2>&1; }
worker_pid() { status | sed -n 's/.*worker pid \([0-9]*\).*/\1/p'; }
me=$(id -un)

# A worker that dies leaves its socket behind; the next wizard removes it.
TUI_S=a tui_start_redis 100 30 run
TUI_S=a check_screen "the first wizard opens on the questions" "New redis-tools package" 30
dead=$(worker_pid)
check_match "its worker runs" "$dead" "^[0-9]+$"
[ -n "$dead" ] && kill -KILL "$dead"
wait_for 10 pid_gone "$dead"
check "a killed worker leaves its socket" test -S "$state/worker.sock"
TUI_S=a tui_keys Enter
TUI_S=a tui_exited 10
tui_stop
TUI_S=a tui_start_redis 100 30 run
TUI_S=a check_screen "the next wizard starts a new worker over the stale socket" "New redis-tools package" 30
worker=$(worker_pid)
[ -n "$worker" ] && t_track "$worker"
check_match "upshift status gives the worker's pid" "$worker" '^[0-9]+$'
tty_a=$(TUI_S=a tui_pane_tty)
check "the new worker is another process" test "${worker:-0}" != "${dead:-0}"
check_match "status names the attached wizard's terminal" "$(status)" "wizard attached: $me on $tty_a"

# A second wizard: told who is attached, it takes over.
TUI_S=b tui_start_redis 100 30 run
tty_b=$(TUI_S=b tui_pane_tty)
TUI_S=b check_screen "a second wizard is told the upgrade is attached" "This upgrade is attached to another wizard" 30
TUI_S=b check_screen "and by whom" "Attached: $me on $tty_a, pid" 5
TUI_S=a check_screen "meanwhile the first one is untouched" "New redis-tools package" 5
TUI_S=b tui_keys Enter
TUI_S=b check_screen "after taking over it shows the questions the first one showed" "New redis-tools package" 30
TUI_S=a check_screen "the first one says it was detached" "took over this upgrade" 30
TUI_S=a check_screen "and by whom" "$me on $tty_b" 5
TUI_S=a tui_keys Enter
TUI_S=a tui_exited 10
check_eq "the detached wizard exits 75" "$TUI_CODE" 75
TUI_S=a check_screen "and says so on the terminal" "upshift: detached: $me on $tty_b" 5
check "the worker is still the same process" pid_alive "$worker"

# A third one leaves it as it is.
TUI_S=c tui_start_redis 100 30 run
TUI_S=c check_screen "a third wizard is told who is attached now" "Attached: $me on $tty_b" 30
TUI_S=c tui_keys Down Enter
TUI_S=c tui_exited 10
check_eq "leaving it exits 75" "$TUI_CODE" 75
TUI_S=c check_screen "and says who keeps it" "the upgrade stays with $me on $tty_b" 5
check_match "the second wizard is still attached" "$(status)" "wizard attached: $me on $tty_b"

# Another user: nobody (uid 65534).
connect_as_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 - "$state/worker.sock" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
try:
    s.connect(sys.argv[1])
except PermissionError:
    print("connect: permission denied")
    sys.exit(0)
try:
    s.sendall(b"hello v=2 role=client user=nobody tty= pid=1\n")
except (BrokenPipeError, ConnectionResetError):
    pass                # refused before it could say hello
data = b""
try:
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
except ConnectionResetError:
    pass
print(data.decode(errors="replace"))
PY
}
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && [ -x /usr/bin/python3 ]; then
	check_eq "another user cannot reach the private socket" "$(connect_as_nobody)" "connect: permission denied"
	t_mode=$(stat -c %a "$T_DIR")
	chmod 0711 "$T_DIR" "$state"
	chmod 0666 "$state/worker.sock"
	out=$(connect_as_nobody)
	chmod "$t_mode" "$T_DIR"
	chmod 0700 "$state"
	chmod 0600 "$state/worker.sock"
	check_match "with the modes opened, the worker refuses another user's peer" "$out" \
		"^refused reason=user\\\\s65534"
	no_plan() { ! printf '%s\n' "$out" | grep -q '^plan '; }
	check "and sends it nothing of the run" no_plan
	check_match "and stays attached" "$(status)" "wizard attached: $me on $tty_b"
else
	echo "# skip: another user's connection needs root and setpriv"
fi

# The second wizard detaches on purpose; upshift attach brings one back.
TUI_S=b tui_keys F10
TUI_S=b check_box "the quit question offers to detach" "Quit?" "Detach leaves the upgrade running" 10
TUI_S=b tui_keys d
TUI_S=b tui_exited 10
check_eq "detaching exits 75" "$TUI_CODE" 75
TUI_S=b check_screen "and says how to re-attach" "re-attach with:" 5
TUI_S=b check_screen "with the command on a line of its own" "  upshift run redis --plans-dir" 5
check_match "the worker runs on with no wizard attached" "$(status)" "no wizard attached"
check "it is the same worker" pid_alive "$worker"
TUI_S=d tui_start_redis 100 30 attach
TUI_S=d check_screen "upshift attach shows the questions again" "New redis-tools package" 30
tty_d=$(TUI_S=d tui_pane_tty)

# The upgrade completes from the wizard attached last.
TUI_S=d tui_answer_redis
TUI_S=d tui_keys Enter
TUI_S=d check_screen "the review" "Start the upgrade" 30
TUI_S=d tui_keys Enter
TUI_S=d check_screen "the stop asks for confirmation" "Yes: Stop the service" 60

# upshift rollback on a terminal does not attach to the upgrade's worker:
# it would show the upgrade. It says how to go on, and exits 75.
TUI_S=r tui_start_redis 200 30 rollback
TUI_S=r tui_exited 10
check_eq "upshift rollback while the upgrade's worker runs exits 75" "$TUI_CODE" 75
TUI_S=r check_screen "and says how to attach or stop it" \
	"the upgrade of redis is running (worker pid $worker): attach to it" 5
TUI_S=r check_screen "and the command that attaches, on a line of its own" \
	"  upshift attach redis --plans-dir ${TUI_PLANS:-$PLANS_DIR} --state-dir $state" 5
check_match "the wizard attached last still is" "$(status)" "wizard attached: $me on $tty_d"
check "the worker runs on" pid_alive "$worker"
TUI_S=d tui_keys Down Enter
TUI_S=d check_screen "the upgrade completes" "Redis upgraded" 90
TUI_S=d tui_keys Enter
TUI_S=d tui_exited 20
T_RC=$TUI_CODE
redis_upgraded "the upgrade ends as an uninterrupted one" "$state" "$old_sha" "$new_sha" "$digest"
wait_for 10 pid_gone "$worker"

# The run log says who acted on the upgrade, in order, at the times they
# did: all of it happened during the questions, before the log was opened.
audit=$(cat "$state"/log/run-*.log 2>/dev/null | sed -n 's/^\[[0-9:]*\] upshift: //p' |
	grep -E '^(a wizard attached|the wizard was detached|the wizard went away|user [0-9]+ \(pid)' |
	sed -E 's/, pid [0-9]+, since .*//; s/\(pid [0-9]+\)/(pid N)/')
expected="a wizard attached: $me on $tty_a
the wizard was detached: another one took over: $me on $tty_a
a wizard attached: $me on $tty_b"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && [ -x /usr/bin/python3 ]; then
	expected="$expected
user 65534 (pid N) may not attach to this upgrade: only its own user or root may"
fi
expected="$expected
the wizard went away: $me on $tty_b
a wizard attached: $me on $tty_d"
check_eq "the run log records every attach, takeover, refusal and departure" "$audit" "$expected"

TUI_S=e tui_start_redis 100 30 attach
TUI_S=e tui_exited 10
check_eq "with no worker left, upshift attach exits 2" "$TUI_CODE" 2
TUI_S=e check_screen "and says there is nothing to attach to" "no upgrade of redis is running" 5

t_done
