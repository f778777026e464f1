#!/bin/bash
# tui.sh: the wizard's cost, measured in one run (make bench-tui).
#
#     bench/tui.sh BUILD_DIR
#
# In a tmux server of its own (120x40), the wizard runs a plan whose
# backup step runs a command printing BENCH_TUI_MIB MiB (default 1024) of
# 100-byte lines, with --yes. The wizard writes, to the file that
# UPSHIFT_TUI_TRACE names, the time of its first frame, and when it ends
# its own CPU time and peak RSS (getrusage RUSAGE_SELF) and the CPU time
# of the worker and the commands it ran (RUSAGE_CHILDREN: it reaps the
# worker, which reaps the commands).
#   first_frame_ms  from just before exec (a timestamp taken by the shell
#                   that execs upshift) to the first frame drawn
#   peak_rss_mb     the wizard's peak resident set, over the whole run
#   cpu_ratio       the wizard's CPU / the worker's and the command's CPU
# The last line is
#   tui: first_frame_ms=F peak_rss_mb=M cpu_ratio=C
# Targets: F <= 50, M <= 16, C <= 0.10.
set -euo pipefail

build=${1:?usage: tui.sh BUILD_DIR}
upshift=$build/upshift
mib=${BENCH_TUI_MIB:-1024}
[ -x "$upshift" ] || { echo "tui.sh: $upshift is missing (make builds it)" >&2; exit 2; }
command -v tmux >/dev/null || { echo "tui.sh: needs tmux" >&2; exit 2; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/upshift-bench-tui.XXXXXX")
sock=upshift-bench-$$
cleanup() {
	tmux -L "$sock" kill-server >/dev/null 2>&1 || true
	rm -rf "$dir"
}
trap cleanup EXIT

mkdir -p "$dir/plans"
cat > "$dir/plans/benchtui.yaml" <<PLAN
schema: 1
id: benchtui
title: The wizard's benchmark
target: 1.0.0
detect:
  version: {shell: 'echo 1.0.0', match: '^(\d+\.\d+\.\d+)\$'}
backup:
  before:
    - shell: 'yes "\$(printf "%099d" 0)" | head -c $((mib * 1024 * 1024))'
      timeout: 1h
PLAN

cat > "$dir/run.sh" <<RUN
#!/bin/sh
date +%s%N > "$dir/t0"
exec env UPSHIFT_TUI_TRACE="$dir/trace" LANG=C.UTF-8 "$upshift" run benchtui --yes \
	--plans-dir "$dir/plans" --state-dir "$dir/state"
RUN
chmod +x "$dir/run.sh"

screen() { tmux -L "$sock" capture-pane -p -t b 2>/dev/null; }
wait_text() {
	local i
	for i in $(seq 1 $(($2 * 10))); do
		screen | grep -qF -- "$1" && return 0
		sleep 0.1
	done
	echo "tui.sh: the wizard did not show \"$1\" in $2 s:" >&2
	screen >&2
	exit 1
}

echo "tui.sh: $mib MiB of output through the wizard"
tmux -L "$sock" -f /dev/null new-session -d -s b -x 120 -y 40 "$dir/run.sh; echo \$? > $dir/rc" \; \
	set-option -t b remain-on-exit on
wait_text "Directory for the backup" 30
tmux -L "$sock" send-keys -t b C-u
tmux -L "$sock" send-keys -t b -l "$dir/backups"
tmux -L "$sock" send-keys -t b NPage Enter
wait_text "Start the upgrade" 30
start=$(date +%s)
tmux -L "$sock" send-keys -t b Enter
wait_text "Leave" 3600
echo "tui.sh: the run took $(( $(date +%s) - start )) s"
tmux -L "$sock" send-keys -t b Enter
for i in $(seq 1 300); do [ -s "$dir/rc" ] && break; sleep 0.1; done
rc=$(cat "$dir/rc" 2>/dev/null || echo "?")
[ "$rc" = 0 ] || { echo "tui.sh: upshift exited $rc" >&2; screen >&2; exit 1; }
grep -q . "$dir/trace"
t0=$(cat "$dir/t0")
awk -v t0="$t0" '
	$1 == "first_frame" { ff = ($2 - t0) / 1e6 }
	$1 == "cpu_self_us" { self = $2 }
	$1 == "cpu_children_us" { kids = $2 }
	$1 == "maxrss_kb" { rss = $2 }
	END {
		printf "wizard CPU %.2f s, worker and command CPU %.2f s, wizard peak RSS %d KiB\n",
		       self / 1e6, kids / 1e6, rss
		printf "tui: first_frame_ms=%.1f peak_rss_mb=%.1f cpu_ratio=%.3f\n",
		       ff, rss / 1024, (kids > 0 ? self / kids : 0)
	}' "$dir/trace"
