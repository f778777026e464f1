#!/usr/bin/env bash
# shell: scripts (upshift-plan(5) COMMANDS): plan variables reach the script
# as environment variables, ${...} is the shell's (${user%@*} works), $$ is
# the shell's process id, a fact is $fact_NAME. A service of files.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"

dir=$T_DIR/svc
mkdir -p "$dir"
echo 1.0 > "$dir/ver"
echo 100 > "$dir/rows"
cat > "$dir/plan.yaml" <<'PLAN'
schema: 1
id: shellvars
title: Shell variables
target: "2.0"
ask:
  - {key: dir, text: Directory, type: dir}
  - {key: user, text: Account, default: "app@example.org"}
detect:
  version: {shell: 'cat "$dir/ver"', match: '(\S+)'}
  facts:
    rows: {shell: 'cat "${dir}/rows"'}
swap:
  run:
    - shell: 'echo 2.0 > "$dir/ver"'
migrate:
  - run:
      - shell: 'echo "${user%@*} ${fact_rows} $$ ${target}" > "$dir/seen"'
verify:
  checks:
    - {same: rows}
PLAN
printf 'dir: %s\nbackup_dir: %s/backups\n' "$dir" "$dir" > "$dir/answers.yaml"

run_upshift plan "$dir/plan.yaml" --answers "$dir/answers.yaml"
check_eq "a shell: script with \${user%@*} and \$\$ loads" "$T_RC" 0
[ "$T_RC" = 0 ] || printf '%s\n' "$T_OUT" | head -n 3 | sed 's/^/#   /'
run_upshift run "$dir/plan.yaml" --answers "$dir/answers.yaml" --yes --state-dir "$dir/state"
check_eq "the run exits 0" "$T_RC" 0
[ "$T_RC" = 0 ] || printf '%s\n' "$T_OUT" | tail -n 20 | sed 's/^/#   /'
seen=$(cat "$dir/seen" 2>/dev/null)
check_match 'the shell expanded ${user%@*}, $fact_rows, $$ and $target' "$seen" '^app 100 [0-9]+ 2\.0$'
check_eq "the swap's script wrote the new version" "$(cat "$dir/ver")" 2.0

t_done
