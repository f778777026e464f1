# tests/lib/tui.sh: drive the wizard inside tmux (source after common.sh).
#
# Each test gets a tmux server of its own on a private socket
# (tmux -L upshift-test-PID, no configuration file), one session "t" (or
# the one TUI_S names, for a test with two terminals) whose pane stays
# after the command exits; tui_stop (run at exit) kills that
# server and nothing else. Waits are bounded and look for text on the
# screen, never sleep for a fixed time.

TUI_SOCK=upshift-test-$$

# The session as a tmux target: "=NAME:" matches the session NAME exactly
# (a bare NAME may match a window of another session whose name starts
# with it, such as "bash").
tui_target() {
	echo "=${TUI_S:-t}:"
}

# Where the session's command leaves its exit code.
tui_rc() {
	echo "$T_DIR/tui-${TUI_S:-t}.rc"
}

tui_tmux() {
	tmux -L "$TUI_SOCK" -f /dev/null "$@"
}

# The terminal device of the session's pane: what the wizard reports as its tty.
tui_pane_tty() {
	tui_tmux list-panes -t "$(tui_target)" -F '#{pane_tty}'
}

tui_stop() {
	tui_tmux kill-server >/dev/null 2>&1
}

trap 'tui_stop; t_cleanup' EXIT

# tui_start COLS ROWS CMD...: run CMD in a detached session of that size;
# its exit code lands in $(tui_rc). The environment given to CMD is this
# shell's, with TERM set to what tmux emulates.
tui_start() {
	local cols=$1 rows=$2 cmd q
	shift 2
	command -v tmux >/dev/null || { echo "SKIP: tmux is not installed"; exit 77; }
	rm -f "$(tui_rc)"
	q=$(printf '%q ' "$@")
	# The pane lives on a minute after CMD (tmux 3.3 blanks a dead pane's
	# screen, and what CMD printed last is checked); tui_stop ends it.
	cmd="$q; echo \$? > $(printf '%q' "$(tui_rc)"); exec sleep 60"
	tui_tmux new-session -d -s "${TUI_S:-t}" -x "$cols" -y "$rows" "$cmd" \; \
		set-option -t "$(tui_target)" remain-on-exit on \; set-option -t "$(tui_target)" status off
}

# The screen as text (one line per row).
tui_screen() {
	tui_tmux capture-pane -p -t "$(tui_target)" 2>/dev/null
}

# The screen with escape sequences for attributes and colours.
tui_screen_escapes() {
	tui_tmux capture-pane -p -e -t "$(tui_target)" 2>/dev/null
}

# tui_keys KEY...: tmux send-keys names (Enter, Tab, BTab, Up, Escape, F10,
# C-c) or text (use -l for literal text).
tui_keys() {
	tui_tmux send-keys -t "$(tui_target)" "$@"
}

# tui_type TEXT: type text literally.
tui_type() {
	tui_tmux send-keys -t "$(tui_target)" -l "$1"
}

# tui_wait TEXT SECS: until the screen shows TEXT (a fixed string).
tui_wait() {
	local text=$1 secs=${2:-30} i
	for i in $(seq 1 $((secs * 10))); do
		tui_screen | grep -qF -- "$text" && return 0
		sleep 0.1
	done
	return 1
}

# tui_wait_re REGEX SECS: the same with an extended regex.
tui_wait_re() {
	local re=$1 secs=${2:-30} i
	for i in $(seq 1 $((secs * 10))); do
		tui_screen | grep -qE -- "$re" && return 0
		sleep 0.1
	done
	return 1
}

# tui_exited SECS: until the command has exited; its code in $TUI_CODE.
tui_exited() {
	local secs=${1:-30} i
	for i in $(seq 1 $((secs * 10))); do
		if [ -s "$(tui_rc)" ]; then
			TUI_CODE=$(cat "$(tui_rc)")
			return 0
		fi
		sleep 0.1
	done
	TUI_CODE=
	return 1
}

# check_screen NAME TEXT SECS: a check that the screen shows TEXT in time;
# prints the screen when it does not.
check_screen() {
	if tui_wait "$2" "${3:-30}"; then
		ok "$1"
	else
		not_ok "$1" "screen does not show: $2" "$(tui_screen | sed 's/^/| /')"
	fi
}

# tui_box_text TITLE: the text inside the box whose top edge carries TITLE
# (a dialog), its rows joined with single spaces: what the box says, wherever
# its lines wrap (they wrap with the length of paths, for one). Empty when
# no such box is on the screen.
tui_box_text() {
	tui_screen | python3 -c '
import sys
title, rows = sys.argv[1], sys.stdin.read().split("\n")
corners = {"\u250c": "\u2510", "+": "+"}
for i, row in enumerate(rows):
    at = row.find(title)
    if at < 0:
        continue
    left = max(row.rfind(c, 0, at) for c in corners)
    if left < 0:
        continue
    right = min([p for p in (row.find(corners[row[left]], at),) if p > 0] or [len(row)])
    words = []
    for r in rows[i + 1:]:
        inner = r[left + 1:right]
        if r[left:left + 1] in ("\u2514", "+") and inner.strip("\u2500-") == "":
            break
        words.append(inner.strip())
    print(" ".join(" ".join(words).split()))
    break
' "$1"
}

# check_box NAME TITLE TEXT [SECS]: until the box titled TITLE says TEXT
# (a fixed string, matched across the box's line breaks).
check_box() {
	local i secs=${4:-30}
	for i in $(seq 1 $((secs * 10))); do
		tui_box_text "$2" | grep -qF -- "$3" && { ok "$1"; return 0; }
		sleep 0.1
	done
	not_ok "$1" "the box \"$2\" does not say: $3" "$(tui_screen | sed 's/^/| /')"
}

# tui_resize COLS ROWS
tui_resize() {
	tui_tmux resize-window -t "$(tui_target)" -x "$1" -y "$2"
}

# tui_answer_redis [PACKAGE]: fill the Redis plan's question form for the
# sandbox of tests/lib/redis.sh, moving down field by field (Tab would
# complete paths), and leave the focus on the last field.
tui_answer_redis() {
	local pkg=${1:-$NEW_DEB}
	tui_type "$pkg"
	tui_keys Down Down C-u
	tui_type "$REDIS_BIN"
	tui_keys Down Down C-u
	tui_type "$REDIS_PORT"
	tui_keys Down C-u
	tui_type "$REDIS_DIR/data"
	tui_keys Down Right Right Down Down C-u
	tui_type "$REDIS_DIR/redis.pid"
	tui_keys Down C-u
	tui_type "$REDIS_DIR/redis.conf"
	tui_keys Down C-u
	tui_type "$REDIS_DIR/backups"
}

# From the first screen of tui_start_redis to the start of the run: the
# questions answered for the sandbox, the review confirmed; checks that each
# screen came.
tui_through_review() {
	check_screen "the wizard opens on the questions" "New redis-tools package" 30
	tui_answer_redis
	tui_keys Enter
	check_screen "the review" "Start the upgrade" 30
	tui_keys Enter
}

# The wizard on the Redis plan, in a UTF-8 locale unless LANG says otherwise.
tui_start_redis() {
	local cols=$1 rows=$2
	shift 2
	tui_start "$cols" "$rows" env LANG="${TUI_LANG:-C.UTF-8}" ${TUI_ENV:-} "$UPSHIFT" "$@" redis \
		--plans-dir "${TUI_PLANS:-$PLANS_DIR}" --state-dir "$state"
}

# tui_confirm_redis_rollback: at the rollback's confirmation (the sandbox of
# redis_upgrade_setup), confirm it; checks that it ends as it must: the end
# screen, exit 4, the old binary back and running, the same data, the
# rollback's end journaled.
tui_confirm_redis_rollback() {
	tui_keys Down Enter
	check_screen "the end screen says it was rolled back" "Rolled back" 120
	tui_keys Enter
	tui_exited 20
	check_eq "the wizard exits 4 (rolled back)" "$TUI_CODE" 4
	check_eq "the old binary is back" "$(sha256sum "$REDIS_BIN/redis-check-rdb" | cut -d' ' -f1)" "$old_sha"
	check_eq "the running server is the old binary" "$(redis_running_binary_sha)" "$old_sha"
	t_track "$(redis_pid)"
	check_eq "DEBUG DIGEST is as before" "$(redis_digest)" "$digest"
	check "the journal records the rollback" grep -q 'ev: rollback_end, result: done' "$state/journal"
}

# For a wizard whose terminal the test kills (TUI_ENV=$(tui_no_leak_check)):
# in the sanitizer build, LeakSanitizer's check at exit never ends in a
# process whose terminal was hung up (it spins while its tracer waits), and
# the test would leave it behind. The other screen tests keep the check.
tui_no_leak_check() {
	echo "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
}

# The colour parameters (SGR 30-38, 40-48, 90-97, 100-107) in the screen
# with its escape sequences, one a line; nothing when it has no colour.
# 39 and 49 (default colours) are resets, not colours.
tui_colours() {
	tui_screen_escapes | python3 -c '
import re, sys
for seq in re.findall(r"\x1b\[([0-9;:]*)m", sys.stdin.read()):
    for p in re.split(r"[;:]", seq):
        if p and (30 <= int(p) <= 38 or 40 <= int(p) <= 48 or 90 <= int(p) <= 97 or 100 <= int(p) <= 107):
            print(p)'
}

# The SGR attribute parameters (bold 1, dim 2, underline 4, reverse 7).
tui_attributes() {
	tui_screen_escapes | python3 -c '
import re, sys
for seq in re.findall(r"\x1b\[([0-9;:]*)m", sys.stdin.read()):
    for p in re.split(r"[;:]", seq):
        if p in ("1", "2", "4", "7"):
            print(p)' | sort -u | tr '\n' ' '
}
