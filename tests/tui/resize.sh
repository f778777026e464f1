#!/usr/bin/env bash
# Resizing while a step runs: from 120x40 to 80x24 the wizard redraws its
# frame to the new size; below 80x24 it says so instead of drawing; back at
# 80x24 it draws again, and the upgrade finishes.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/redis.sh"
. "$UPSHIFT_SRCDIR/tests/lib/tui.sh"

redis_upgrade_setup
redis_plan_variant '    - ["${bin_dir}/redis-cli", -h, "${host}", -p, "${port}", SAVE]
' '    - ["${bin_dir}/redis-cli", -h, "${host}", -p, "${port}", SAVE]
    - [sh, -c, '"'"'for i in 1 2 3 4 5 6 7 8; do echo "slow line $i"; sleep 2; done'"'"']
' || { echo "cannot write the plan"; exit 1; }

# frame_why COLS ROWS: why the screen is not a whole frame of that size
# (nothing when it is).
frame_why() {
	local cols=$1 rows=$2 screen
	screen=$(tui_screen)
	[ "$(printf '%s\n' "$screen" | wc -l)" = "$rows" ] || echo "$(printf '%s\n' "$screen" | wc -l) rows"
	printf '%s\n' "$screen" | sed -n 1p | grep -q '^ upshift: Redis on ' || echo "no title on row 1"
	printf '%s\n' "$screen" | sed -n 2p | grep -q '^ Steps  *│' || echo "no step list on row 2"
	printf '%s\n' "$screen" | sed -n "${rows}p" | grep -q '^ .*? help' || echo "no key bar on row $rows"
	printf '%s\n' "$screen" | grep -q '── Log' || echo "no log pane"
	# The step list's border is in the same column on every row beside it.
	[ "$(printf '%s\n' "$screen" | sed -n '2,10p' | PYTHONIOENCODING=utf-8 python3 -c '
import sys
print("".join(sorted({l[25] if len(l) > 25 else " " for l in sys.stdin.read().splitlines()})))')" = "│" ] ||
		echo "the border is not straight"
	printf '%s\n' "$screen" | grep -q 'needs at least' && echo "says too small"
	printf '%s\n' "$screen" | PYTHONIOENCODING=utf-8 python3 -c '
import sys
sys.exit(any(len(l) > int(sys.argv[1]) for l in sys.stdin.read().splitlines()))' "$cols" ||
		echo "lines wider than $cols"
}

# frame_ok NAME COLS ROWS: the screen becomes a whole frame of that size
# within 10 s.
frame_ok() {
	local name=$1 why i
	for i in $(seq 1 100); do
		why=$(frame_why "$2" "$3")
		[ -z "$why" ] && break
		sleep 0.1
	done
	if [ -z "$why" ]; then ok "$name"; else not_ok "$name" "$why" "$(tui_screen | sed 's/^/| /')"; fi
}

tui_start_redis 120 40 run
tui_through_review
check_screen "the slow backup command runs" "slow line 1" 60
frame_ok "at 120x40 the frame fills the window" 120 40
tui_resize 80 24
frame_ok "after a resize to 80x24 mid-run the frame is redrawn at 80x24" 80 24
check_screen "the log goes on after the resize" "slow line 5" 30
tui_resize 70 20
check_screen "below 80x24 it says so instead of drawing" "needs at least 80x24" 10
check_match "and says the size it has" "$(tui_screen)" "70x20"
tui_resize 80 24
frame_ok "back at 80x24 it draws the frame again" 80 24
check_screen "the run went on meanwhile: the stop's confirmation" "Yes: Stop the service" 60
tui_keys Down Enter
check_screen "the upgrade finishes" "Redis upgraded" 90
# At 80 columns the backup's path and SHA-256 take several rows: the whole
# SHA-256 shows, its end included.
sha=$(sha256sum "$REDIS_DIR"/backups/redis-*.tar* 2>/dev/null | cut -d' ' -f1)
check_match "the backup's archive is there" "$sha" '^[0-9a-f]{64}$'
check_match "the end screen at 80x24 shows the backup's SHA-256 to its end" "$(tui_screen)" \
	"${sha:50:14}\\)"
tui_keys Enter
tui_exited 20
T_RC=$TUI_CODE
T_OUT=$(tui_screen)
redis_upgraded "resizing changed nothing of the upgrade" "$state" "$old_sha" "$new_sha" "$digest"

t_done
