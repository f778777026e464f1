#!/usr/bin/env bash
# The command line without a service: list, plan, answers, status, help.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/redis.sh"

run_upshift --version
check_eq "--version exits 0" "$T_RC" 0
check_match "--version names the program" "$T_OUT" '^upshift [0-9]+\.[0-9]+\.[0-9]+$'

run_upshift --help
check_eq "--help exits 0" "$T_RC" 0
for sub in list plan answers run attach status rollback; do
	check_match "--help lists $sub" "$T_OUT" "upshift $sub"
done
for opt in --answers --yes --target --state-dir --plans-dir --no-color --strict-packages; do
	check_match "--help lists $opt" "$T_OUT" -- "$opt"
done

run_upshift attach redis --plans-dir "$PLANS_DIR" --state-dir "$T_DIR/attach-state" < /dev/null
check_eq "attach without a terminal is a usage error" "$T_RC" 2
check_match "and says it needs one" "$T_OUT" "upshift attach needs a terminal"

run_upshift
check_eq "no command is a usage error" "$T_RC" 2

# list: the shipped plans, each loading.
run_upshift list --plans-dir "$PLANS_DIR"
check_eq "list exits 0" "$T_RC" 0
for p in "$PLANS_DIR"/*.yaml; do
	id=$(basename "$p" .yaml)
	check_match "list shows $id" "$T_OUT" "^$id "
done

# answers: a template that names every question, and once filled in, loads.
run_upshift answers redis --plans-dir "$PLANS_DIR"
check_eq "answers exits 0" "$T_RC" 0
tmpl=$T_DIR/template.yaml
# The defaults name Redis's own files (/etc/redis/redis.conf, /var/lib/redis),
# which this machine need not have: point those two at files that exist.
mkdir -p "$T_DIR/data" && touch "$T_DIR/redis.conf"
printf '%s\n' "$T_OUT" | sed -e "s|/etc/redis/redis.conf|$T_DIR/redis.conf|" \
	-e "s|/var/lib/redis\$|$T_DIR/data|" > "$tmpl"
for key in package package_sha256 bin_dir port data_dir service_manager pidfile config; do
	check_match "the template has $key" "$T_OUT" "^#? ?$key:"
done
check_match "the template explains questions in comments" "$T_OUT" '^# .*redis-tools'
run_upshift plan redis --plans-dir "$PLANS_DIR" --answers "$tmpl"
check_eq "the unfilled template is refused" "$T_RC" 2
check_match "the unfilled template lists what is missing" "$T_OUT" 'missing required answers?: package'
# a real package: upshift plan checks it as a run would (an empty file is
# refused, as run refuses it)
touch "$T_DIR/new.deb"
sed "s|^package:.*|package: $T_DIR/new.deb|" "$tmpl" > "$T_DIR/filled.yaml"
run_upshift plan redis --plans-dir "$PLANS_DIR" --answers "$T_DIR/filled.yaml"
check_eq "an empty package is refused" "$T_RC" 2
check_match "an empty package: the error names it" "$T_OUT" "package \"$T_DIR/new.deb\""
cp "$(fetch_deb redis-tools "$REDIS_NEW_VERSION")" "$T_DIR/new.deb" || { echo "cannot fetch redis-tools"; exit 1; }
sed "s|^package:.*|package: $T_DIR/new.deb|" "$tmpl" > "$T_DIR/filled.yaml"
run_upshift plan redis --plans-dir "$PLANS_DIR" --answers "$T_DIR/filled.yaml"
check_eq "the filled template loads" "$T_RC" 0

# plan: every step, every command resolved, nothing changed.
cat > "$T_DIR/a.yaml" <<ANS
package: $T_DIR/new.deb
bin_dir: /opt/redis/bin
port: 6390
data_dir: /srv/redis
service_manager: pidfile
pidfile: /srv/redis/redis.pid
backup_dir: $T_DIR/backups
ANS
run_upshift plan redis --plans-dir "$PLANS_DIR" --answers "$T_DIR/a.yaml" --state-dir "$T_DIR/state"
check_eq "plan exits 0" "$T_RC" 0
n=1
for s in detect backup disconnect stop swap migrate verify reconnect; do
	check_match "plan shows step $n $s" "$T_OUT" "^$n\. $s: "
	n=$((n + 1))
done
check_match "plan resolves variables inside one argument" "$T_OUT" '\$ /opt/redis/bin/redis-cli -h 127.0.0.1 -p 6390 SAVE'
check_match "plan shows the backup path" "$T_OUT" '^        /srv/redis$'
check_match "plan shows the swap target" "$T_OUT" '/opt/redis/bin/redis-check-rdb <- usr/bin/redis-check-rdb'
check_match "plan shows the backup directory" "$T_OUT" "Backup directory: $T_DIR/backups"
check_match "plan marks the stop as needing confirmation" "$T_OUT" '^4\. stop: .*confirmation'
check "plan changed nothing" test ! -e "$T_DIR/state"
check "plan created no backup directory" test ! -e "$T_DIR/backups"

run_upshift plan redis --plans-dir "$PLANS_DIR"
check_eq "plan without answers exits 0" "$T_RC" 0
check_match "plan without answers shows placeholders" "$T_OUT" 'stage the package <package>'
check_match "plan without answers shows defaults" "$T_OUT" '/usr/bin/redis-cli -h 127.0.0.1 -p 6379 DBSIZE'

run_upshift plan redis --plans-dir "$PLANS_DIR" --target 7.2.4
check_match "--target changes the target" "$T_OUT" 'Target version: 7.2.4'

# status with no journal.
run_upshift status redis --plans-dir "$PLANS_DIR" --state-dir "$T_DIR/none"
check_eq "status without a journal exits 0" "$T_RC" 0
check_match "status says nothing was started" "$T_OUT" 'no upgrade has been started'

# A plan given by path works like one found by name.
run_upshift plan "$PLANS_DIR/redis.yaml" --answers "$T_DIR/a.yaml"
check_eq "a plan given by path loads" "$T_RC" 0

# A plan directory writable by others is refused (DESIGN.md, Security).
mkdir -p "$T_DIR/open"
cp "$PLANS_DIR/redis.yaml" "$T_DIR/open/"
chmod 0777 "$T_DIR/open"
run_upshift plan redis --plans-dir "$T_DIR/open"
check_eq "a world-writable plan directory is refused" "$T_RC" 2
check_match "the refusal says why" "$T_OUT" 'writable'

# plan shows a check's when:, and expands the readiness URL, checklist
# texts and points of no return as far as the variables are known.
mkdir -p "$T_DIR/show"
cat > "$T_DIR/show/show.yaml" <<'PLAN'
schema: 1
id: show
title: What plan shows
target: 2.0.0
ask:
  - {key: port, text: Port, default: "7001"}
  - {key: strict, text: Strict, type: choice, choices: ["yes", "no"], default: "no"}
service: {systemd: show.service}
detect:
  version: {run: [show-ctl, version], match: 'v(\d+\.\d+\.\d+)'}
  checks:
    - when: {answers: {strict: "yes"}}
      run: [show-ctl, fsck, "${port}"]
      fail: "the data of ${target} is damaged"
  checklist: ["Nobody else upgrades to ${target} from ${hop_from}"]
stop: {}
migrate:
  - run: [show-ctl, migrate]
    point_of_no_return: "${hop_from} cannot read the data once ${target} has migrated it"
verify:
  ready: {http: "http://127.0.0.1:${port}/ping", timeout: 30s}
PLAN
run_upshift plan "$T_DIR/show/show.yaml" --state-dir "$T_DIR/show-state"
check_eq "plan of the display test plan exits 0" "$T_RC" 0
check_eq "plan shows a check's when: before its command" \
	"$(printf '%s\n' "$T_OUT" | grep -B1 'check: \$ show-ctl fsck 7001$' | head -n 1)" \
	"      when strict = yes:"
check_match "plan expands the readiness URL" "$T_OUT" '^      ready: GET http://127\.0\.0\.1:7001/ping$'
check_match "plan expands a checklist text, leaving unknown names" "$T_OUT" \
	'checklist \[detect_check_1\]: Nobody else upgrades to 2\.0\.0 from \$\{hop_from\}$'
check_match "plan expands a point of no return, leaving unknown names" "$T_OUT" \
	'POINT OF NO RETURN: \$\{hop_from\} cannot read the data once 2\.0\.0 has migrated it$'
check "plan of the display test plan changed nothing" test ! -e "$T_DIR/show-state"

t_done
