#!/usr/bin/env bash
# A hot swap through several hops (path: stops: with swap: hot:): the toy
# service of tests/lib/toy.sh goes from 0.25.0 to 1.0.0 in three hops,
# each reloaded while it runs. Its reload restarts the server and keeps it
# down until the readiness check has seen it down (the check leaves a mark),
# so every hop measures some downtime. The downtime journaled is each
# hop's own, and the report's is their sum (it was the last hop's alone).
# Between hops the service keeps running: the next hop's reload needs it.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/toy.sh"

root=$T_DIR/root
state=$T_DIR/state
answers=$T_DIR/answers.yaml
toy_hop_releases || { echo "cannot build the releases"; exit 1; }
toy_hop_answers "$answers" "$root"
plan=$T_DIR/toy-hops.yaml
python3 - "$UPSHIFT_SRCDIR/tests/data/plans/toy-hops.yaml" "$plan" <<'PY' || { echo "cannot write the plan"; exit 1; }
import sys
s = open(sys.argv[1]).read()
pairs = [
    ('''    opt/toy/: "${root}/opt/toy/"
''', '''    opt/toy/: "${root}/opt/toy/"
  hot: true
  reload:
    - shell: |
        rm -f "$root/run/down-seen"
        kill "$(cat "$root/run/toyd.pid")"
        setsid sh -c 'for i in $(seq 1 600); do [ -e "$1/run/down-seen" ] && break; sleep 0.05; done
          exec "$1/opt/toy/bin/toyd" serve "$1/data" "$1/run/toyd.pid"' sh "$root" </dev/null >/dev/null 2>&1 &
'''),
    ('''  ready: {run: ["${root}/opt/toy/bin/toyctl", ping, "${root}/run/toyd.pid"], timeout: 30s}''',
     '''  ready:
    shell: '"$root/opt/toy/bin/toyctl" ping "$root/run/toyd.pid" || { : > "$root/run/down-seen"; exit 1; }'
    timeout: 30s'''),
]
for old, new in pairs:
    if old not in s:
        sys.exit("not in the plan: %r" % old)
    s = s.replace(old, new, 1)
open(sys.argv[2], "w").write(s)
PY

toy_sandbox "$root" 0.25.0 && toy_start || { echo "cannot set up the toy sandbox"; exit 1; }
run_upshift run "$plan" --answers "$answers" --yes --state-dir "$state"
t_track "$(toy_pid || echo 0)"
check_eq "the run exits 0" "$T_RC" 0
[ "$T_RC" = 0 ] || printf '%s\n' "$T_OUT" | sed 's/^/#   /' | tail -n 20
check_eq "1.0.0 is installed" "$(toy_version)" 1.0.0
check "the service runs" toy_running
check_eq "it served 0.25.0, then each hop's version, once each" \
	"$(cut -d' ' -f1 "$root/data/served.log" | tr '\n' ' ')" "v0.25.0 v0.30.0 v0.80.2 v1.0.0 "
check_eq "the service was not stopped between hops" \
	"$(grep -c 'key: "\?\(hop[0-9]*\.\)\?verify\.stopped' "$state/journal")" 0

# Each hop's downtime, as journaled: one value per hop, each above 0.
downs=$(grep -o 'key: "\?\(hop[0-9]*\.\)\?swap\.hot\.down_ms"\?, value: "\?[0-9]*' "$state/journal" |
	grep -o '[0-9]*$')
check_eq "a downtime is journaled for each of the 3 hops" "$(printf '%s\n' "$downs" | grep -c .)" 3
check_eq "every hop measured some downtime" "$(printf '%s\n' "$downs" | awk '$1 > 0' | grep -c .)" 3
sum=$(printf '%s\n' "$downs" | awk '{ s += $1 } END { printf "%.1fs", s / 1000 }')
check_match "the report's downtime is their sum ($sum)" "$T_OUT" \
	"downtime: $sum \(hot swap: the readiness check failed"
toy_stop
t_done
