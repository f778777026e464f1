#!/usr/bin/env bash
# A path of several hops in the wizard: a per_hop question (lakeFS's
# package) is asked once for each hop the installed version needs, each in
# a form of its own; the upgrade then goes through every hop (stand-in).
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/lakefs.sh"
. "$UPSHIFT_SRCDIR/tests/lib/tui.sh"

python3 -c 'import yaml' 2>/dev/null ||
	{ echo "# the lakefs stand-in needs python3 and python3-yaml"; exit 77; }

lakefs_sandbox "$T_DIR/a" 0.25.0 || { echo "cannot set up the lakeFS sandbox"; exit 1; }
state=$LK_DIR/state
mkdir -p "$state"
chmod 700 "$state"
# Saved answers, as a run before would leave them, but no packages.
lakefs_answers "$T_DIR/all.yaml" 0.30.0
grep -v -e '^package:' -e '^  0\.30\.0:' "$T_DIR/all.yaml" > "$state/answers.yaml"

tui_start 120 40 env LANG=C.UTF-8 "$UPSHIFT" run lakefs --yes --plans-dir "$PLANS_DIR" \
	--state-dir "$state"
check_screen "the first form has the questions but the package" "Questions (1 of" 30
no_package() { ! tui_screen | grep -q 'lakeFS release archive'; }
check "the first form does not ask for the package" no_package
tui_keys NPage Enter
for v in 0.30.0 0.80.2 1.0.0; do
	n=$((${n:-0} + 1))
	check_screen "hop $n asks for its own package" "Hop $n of 3: to $v" 30
	check_screen "hop $n's form is the package question" "lakeFS release archive" 5
	if [ "$n" = 2 ]; then
		tui_keys Escape
		check_screen "Esc on hop 2's form goes back to hop 1's" "Hop 1 of 3: to 0.30.0" 30
		check_screen "which still holds the package typed" "lakeFS_0.30.0_Linux_x86_64.tar.gz" 5
		tui_keys Enter
		check_screen "Enter comes back to hop 2" "Hop 2 of 3: to 0.80.2" 30
	fi
	tui_type "$LK_DIR/pkgs/lakeFS_${v}_Linux_x86_64.tar.gz"
	tui_keys Enter
done
check_screen "the review" "Start the upgrade" 30
check_screen "the review shows the path" "Upgrade path: 0.30.0, 0.80.2, 1.0.0" 5
tui_keys Enter
# A checklist is confirmed per upgrade: the yes in the saved answers was
# not given for this one (no journal holds it), so each is asked, once for
# the whole path: migrate's at the first hop, not again at the others;
# then reconnect's.
check_screen "the disconnect checklist is asked for this upgrade" "Checklist before disconnect" 120
tui_keys Enter
check_screen "the migrate checklist is asked for this upgrade" "Checklist before migrate" 120
tui_keys Enter
# Its second item: Enter on the first moved there.
check_screen "Enter goes to the migrate checklist's second item" \
	"▸ A snapshot of lakeFS's database exists" 30
tui_keys Enter
check_screen "the reconnect checklist is asked for this upgrade" "Checklist before reconnect" 300
tui_keys Enter
check_screen "the path ends upgraded" "upgraded: 0.25.0" 300
check_screen "the end screen says the hop steps' times are their sums" \
	"Path of 3 hops: the times of swap, migrate and verify are their sums." 5
tui_keys Enter
tui_exited 20
check_eq "the wizard exits 0" "$TUI_CODE" 0
check_eq "lakefs --version is 1.0.0" "$("$LK_BIN" --version)" "lakefs version 1.0.0"
check_eq "the server that runs is 1.0.0" "$(lakefs_server_version)" 1.0.0
check "each hop's package was saved" grep -q '0\.80\.2.*lakeFS_0\.80\.2_Linux' "$state/answers.yaml"
lakefs_stop

t_done
