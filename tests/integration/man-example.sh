#!/usr/bin/env bash
# upshift-plan(5)'s complete worked example (EXAMPLES: two packages, an
# online migration, a rollback hook undo:) is taken from the man page's
# source, between its "man-example begin" and "man-example end" comments,
# and loaded with upshift plan, so that the page cannot rot.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"

man=$UPSHIFT_SRCDIR/man/upshift-plan.5
plan=$T_DIR/tsd.yaml
# The lines between .Bd and .Ed, roff's \e and \& undone.
sed -n '/^\.\\" man-example begin/,/^\.\\" man-example end/p' "$man" |
	sed -e '1,2d' -e '$d' | sed -e '$d' -e 's/\\e/\\/g' -e 's/\\&//g' > "$plan"
check "the example is in the man page" test -s "$plan"
check_match "the block taken is the plan" "$(head -n 1 "$plan")" '^schema: 1$'

touch "$T_DIR/tsd.deb" "$T_DIR/tsd-tools.deb"
mkdir -p "$T_DIR/data"
cat > "$T_DIR/answers.yaml" <<ANSWERS
package: $T_DIR/tsd.deb
package_tools: $T_DIR/tsd-tools.deb
data_dir: $T_DIR/data
ANSWERS
run_upshift plan "$plan" --answers "$T_DIR/answers.yaml"
check_eq "the example loads (upshift plan exits 0)" "$T_RC" 0
[ "$T_RC" = 0 ] || printf '%s\n' "$T_OUT" | tail -n 5 | sed 's/^/#   /'
check_match "both packages are swapped" "$T_OUT" '/usr/bin/tsd-admin <- usr/bin/tsd-admin'
ready=$(printf '%s\n' "$T_OUT" | grep -n 'ready: GET http://127.0.0.1:8428/health' | cut -d: -f1)
online=$(printf '%s\n' "$T_OUT" | grep -n 'online migration 1, the service running' | cut -d: -f1)
check "the migration runs online, once the new server is ready" test "${ready:-0}" -gt 0 -a "${online:-0}" -gt "${ready:-0}"
check_match "the rollback hook is the undo: of pause-ingest" "$T_OUT" \
	'undone by rollback with: \$ tsd-admin --port 8428 resume-ingest'
t_done
