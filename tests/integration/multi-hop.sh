#!/usr/bin/env bash
# Paths of several hops (path: stops:): the toy service (tests/lib/toy.sh)
# goes from 0.25.0 to 1.0.0 through 0.30.0 and 0.80.2, with a package per
# hop; each release reads only its own data schema and migrates only the
# one before it, so a skipped or repeated hop shows in the service's data.
# Checked: the hops in plan, answers and status; the data's schema and the
# version serving it after each hop (the service's own log); a crash after
# the first hop's migration resumes without running it again; a rollback
# brings back the original files and data; refusals (a downgrade, a version
# below min_version: exit 3; a per-hop package missing or wrong: exit 2)
# change nothing.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/toy.sh"

plan=$UPSHIFT_SRCDIR/tests/data/plans/toy-hops.yaml
root=$T_DIR/root
state=$T_DIR/state
answers=$T_DIR/answers.yaml

toy_hop_releases || { echo "cannot build the releases"; exit 1; }
old_tree=$(toy_release_tree 0.25.0)
new_tree=$(toy_release_tree 1.0.0)

# write_answers FILE [EXTRA LINES]: the package of each hop, as a map.
write_answers() {
	toy_hop_answers "$1" "$root" "${@:2}"
}
write_answers "$answers"
run=(run "$plan" --answers "$answers" --yes --state-dir "$state")

setup() {
	toy_stop
	rm -rf "$root" "$state" "$T_DIR/backups"
	toy_sandbox "$root" "${1:-0.25.0}" && toy_start
}

# untouched NAME PID: a refused run changed nothing.
untouched() {
	check_eq "$1: the same server runs" "$(toy_pid)" "$2"
	check_eq "$1: the files are as they were" "$(toy_tree)" "$3"
	check_eq "$1: the data is as it was" "$(cat "$root/data/schema"):$(wc -l < "$root/data/served.log")" "$4"
	check_eq "$1: nothing staged beside the files" "$(find "$root" -name '*.upshift-*' | wc -l)" 0
}

# upgraded NAME: every hop ran once, in order, and 1.0.0 serves the data.
upgraded() {
	check_eq "$1: exit 0" "$T_RC" 0
	[ "$T_RC" = 0 ] || printf '%s\n' "$T_OUT" | tail -n 8
	check_eq "$1: each version served the data at its schema, in order" \
		"$(cat "$root/data/served.log")" \
		"$(printf 'v0.25.0 schema 1\nv0.30.0 schema 2\nv0.80.2 schema 3\nv1.0.0 schema 4')"
	check_eq "$1: each hop's migration ran once" "$(cat "$root/data/migrations.log")" \
		"$(printf '0.30.0\n0.80.2\n1.0.0')"
	check_eq "$1: \${hop_from} and \${target} in each hop" "$(cat "$root/data/notes.log")" \
		"$(printf 'migrated 0.25.0 to 0.30.0\nmigrated 0.30.0 to 0.80.2\nmigrated 0.80.2 to 1.0.0')"
	check_eq "$1: the files are 1.0.0's" "$(toy_tree | grep -v '\.upshift-old')" "$new_tree"
	check_eq "$1: nothing staged is left" "$(find "$root" -name '*.upshift-new*' | wc -l)" 0
	check_eq "$1: 1.0.0 is installed" "$(toy_version)" 1.0.0
	check "$1: the service runs" toy_running
	t_track "$(toy_pid || echo 0)"
}

# The templates and the plan show the hops.
run_upshift answers "$plan"
check_eq "answers: exit 0" "$T_RC" 0
check_match "answers: a template line per hop" "$(printf '%s' "$T_OUT" | tr '\n' '~')" \
	"package:~  0\\.30\\.0:~  0\\.80\\.2:~  1\\.0\\.0:"
run_upshift plan "$plan" --answers "$answers"
check_eq "plan: exit 0" "$T_RC" 0
check_match "plan: the path" "$T_OUT" "Upgrade path: 0\\.30\\.0, 0\\.80\\.2, 1\\.0\\.0"
check_match "plan: the second hop" "$T_OUT" "Hop 2 of 3: 0\\.30\\.0 to 0\\.80\\.2"
check_match "plan: the second hop's package" "$T_OUT" "package $T_DIR/toy-0\\.80\\.2\\.tar\\.gz"
check_match "plan: the second hop's commands" "$T_OUT" "'migrated 0\\.30\\.0 to 0\\.80\\.2'"

# A run through every hop.
setup || { echo "cannot set up the toy sandbox"; exit 1; }
run_upshift "${run[@]}"
upgraded "three hops"
check_match "three hops: the path is shown" "$T_OUT" "upgrade path: 3 hops, to 0\\.30\\.0, 0\\.80\\.2, 1\\.0\\.0"
check_match "three hops: the hops are journaled" "$(cat "$state/journal")" 'key: hops, value: "?0\.30\.0 0\.80\.2 1\.0\.0'
check_match "three hops: hop 3 starts in the journal" "$(cat "$state/journal")" 'ev: hop_start, hop: "?3'
# The report's times of swap, migrate and verify are their sums over the
# hops (as duration_format writes them), and it says so.
hop_sum() {
	grep -o "ev: step_done, step: $1, \\(hop: [0-9]*, \\)\\?ms: [0-9]*" "$state/journal" | grep -o '[0-9]*$' |
		awk '{ s += $1 } END { printf "%.1fs", s / 1000 }'
}
check_eq "three hops: verify is done once per hop" "$(grep -c 'ev: step_done, step: verify,' "$state/journal")" 3
for s in swap migrate verify; do
	check_match "three hops: the report gives $s's time summed over the hops ($(hop_sum $s))" "$T_OUT" \
		" $s $(hop_sum $s),"
done
check_match "three hops: the report says the times are sums" "$T_OUT" "the sum over the 3 hops"

# Rolled back: the original files (of before the first hop) and data.
run_upshift rollback "$plan" --answers "$answers" --yes --state-dir "$state"
check_eq "rollback: exit 4" "$T_RC" 4
[ "$T_RC" = 4 ] || printf '%s\n' "$T_OUT" | tail -n 8
check_eq "rollback: the files are 0.25.0's" "$(toy_tree)" "$old_tree"
check "rollback: no directory of a later release is left" test ! -e "$root/opt/toy/lib/extra"
check_eq "rollback: the data has schema 1 again" "$(cat "$root/data/schema")" 1
check_eq "rollback: 0.25.0 is installed" "$(toy_version)" 0.25.0
check "rollback: the service runs" toy_running
t_track "$(toy_pid || echo 0)"

# A crash inside the first hop's migrate, after its migration finished (the
# plan's crash-once command kills upshift): the run resumes in hop 1's
# migrate without running the migration again, then goes on to hop 2.
setup || { echo "cannot set up the toy sandbox"; exit 1; }
write_answers "$T_DIR/crash.yaml" "crash: yes"
"$UPSHIFT" run "$plan" --answers "$T_DIR/crash.yaml" --yes --state-dir "$state" > "$T_DIR/crash.out" 2>&1
check_eq "crash in hop 1: killed" "$?" 137
check_eq "crash in hop 1: its migration ran" "$(cat "$root/data/migrations.log")" 0.30.0
run_upshift status "$plan" --state-dir "$state"
check_match "crash in hop 1: status says hop 1 of 3" "$T_OUT" "hop 1 of 3 \\(path: 0\\.30\\.0, 0\\.80\\.2, 1\\.0\\.0\\)"
run_upshift run "$plan" --answers "$T_DIR/crash.yaml" --yes --state-dir "$state"
upgraded "crash in hop 1, then resume"
check_match "crash in hop 1: the resume says the migration was done" "$T_OUT" "migration 1 was done before"

if [ "${UPSHIFT_FAULT_INJECTION:-no}" = yes ]; then
	# A crash right after each hop's migrate ended, and right after hop 2
	# began (fault injection: SIGKILL after journal record N).
	setup || { echo "cannot set up the toy sandbox"; exit 1; }
	run_upshift "${run[@]}"
	t_track "$(toy_pid || echo 0)"
	points=$(grep -n -e 'ev: step_done, step: migrate' -e 'ev: hop_start, hop: "\?2' "$state/journal" | cut -d: -f1)
	for line in $points; do
		setup || { not_ok "crash after record $line: cannot set up"; continue; }
		sh -c 'UPSHIFT_FAULT=crash-after-record=$0 exec "$@"' "$((line - 1))" "$UPSHIFT" "${run[@]}" \
			> "$T_DIR/crash.out" 2>&1
		check_eq "crash after journal line $line: killed" "$?" 137
		run_upshift "${run[@]}"
		upgraded "crash after journal line $line, then resume"
	done
fi

# Refusals: nothing changes.
setup 0.80.2 || { echo "cannot set up the toy sandbox"; exit 1; }
pid=$(toy_pid)
tree=$(toy_tree)
data="3:$(wc -l < "$root/data/served.log")"
run_upshift "${run[@]}" --target 0.30.0
check_eq "downgrade: exit 3" "$T_RC" 3
check_match "downgrade: says why and what to do" "$T_OUT" "installed version 0\\.80\\.2 is newer than the target 0\\.30\\.0: upshift does not downgrade"
untouched "downgrade" "$pid" "$tree" "$data"

setup 0.20.0 || { echo "cannot set up the toy sandbox"; exit 1; }
pid=$(toy_pid)
tree=$(toy_tree)
data="0:$(wc -l < "$root/data/served.log")"
run_upshift "${run[@]}"
check_eq "below min_version: exit 3" "$T_RC" 3
check_match "below min_version: says what to do" "$T_OUT" "older than 0\\.25\\.0, the oldest this plan upgrades: upgrade to 0\\.25\\.0 first"
untouched "below min_version" "$pid" "$tree" "$data"

setup || { echo "cannot set up the toy sandbox"; exit 1; }
pid=$(toy_pid)
tree=$(toy_tree)
data="1:$(wc -l < "$root/data/served.log")"
grep -v '0\.80\.2:' "$answers" > "$T_DIR/missing.yaml"
line=$(grep -n '^package:' "$T_DIR/missing.yaml" | cut -d: -f1)
run_upshift run "$plan" --answers "$T_DIR/missing.yaml" --yes --state-dir "$state"
check_eq "missing hop package: exit 2" "$T_RC" 2
check_match "missing hop package: file:line:col, the version, what to add" "$T_OUT" \
	"missing\\.yaml:$((line + 1)):3: \"package\" has no value for the hop to 0\\.80\\.2: add \"0\\.80\\.2: VALUE\""
check "missing hop package: no journal" test ! -e "$state/journal"
untouched "missing hop package" "$pid" "$tree" "$data"

# Two hops without a package: one refusal names both.
grep -v '0\.[38]0\.[02]:' "$answers" > "$T_DIR/missing2.yaml"
run_upshift run "$plan" --answers "$T_DIR/missing2.yaml" --yes --state-dir "$state"
check_eq "two missing hop packages: exit 2" "$T_RC" 2
check_match "two missing hop packages: names both in one line" "$T_OUT" \
	"missing2\\.yaml:[0-9]+:3: \"package\" has no value for the hops to 0\\.30\\.0, 0\\.80\\.2: add \"0\\.30\\.0: VALUE\", \"0\\.80\\.2: VALUE\" to the map of \"package\"$"
check "two missing hop packages: no journal" test ! -e "$state/journal"
untouched "two missing hop packages" "$pid" "$tree" "$data"

# One package for three hops.
{ echo "root: $root"; echo "package: $T_DIR/toy-1.0.0.tar.gz"; } > "$T_DIR/scalar.yaml"
run_upshift run "$plan" --answers "$T_DIR/scalar.yaml" --yes --state-dir "$state"
check_eq "one package for three hops: exit 2" "$T_RC" 2
check_match "one package for three hops: says to give a map" "$T_OUT" "has one value but the upgrade has 3 hops"
untouched "one package for three hops" "$pid" "$tree" "$data"

# The third hop's package does not match its SHA-256: refused before hop 1.
write_answers "$T_DIR/badsum.yaml" "package_sha256:" "  1.0.0: $(printf '%064d' 0)"
run_upshift run "$plan" --answers "$T_DIR/badsum.yaml" --yes --state-dir "$state"
check_eq "bad package for hop 3: exit 2" "$T_RC" 2
check_match "bad package for hop 3: names it" "$T_OUT" "toy-1\\.0\\.0\\.tar\\.gz\": SHA-256 is [0-9a-f]{64}, expected 0{64}"
untouched "bad package for hop 3" "$pid" "$tree" "$data"

toy_stop
t_done
