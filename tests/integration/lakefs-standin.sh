#!/usr/bin/env bash
# plans/lakefs.yaml against the lakefs stand-in (tests/standins/lakefs):
# 0.25.0 -> 0.30.0 -> 0.80.2 -> 1.0.0 in one scripted run; the same jump
# without the packages of the mandatory versions, refused before any change;
# and upshift killed while the KV migration of 0.80.2 runs, then resumed: the
# path ends without running the first hop again.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/lakefs.sh"

python3 -c 'import yaml' 2>/dev/null ||
	{ echo "# the lakefs stand-in needs python3 and python3-yaml"; exit 77; }

sha() { sha256sum "$1" | cut -d' ' -f1; }
# lk_run NAME ANSWERS: upshift run lakefs, its own state directory per sandbox.
lk_run() {
	run_upshift run lakefs --plans-dir "$PLANS_DIR" --answers "$2" --yes \
		--state-dir "$LK_DIR/state"
	echo "$T_OUT" > "$T_DIR/run-$1.out"
	[ "$T_RC" = 0 ] || sed 's/^/#   /' "$T_DIR/run-$1.out" | tail -n 25
}
count() {       # migrations of the database that match a Python condition on m
	lakefs_db "len([m for m in s['migrations'] if $1])"
}

# The state every finished path must leave, asserted on the stand-in's files.
upgraded() {
	local what=$1
	check_eq "$what: lakefs --version is 1.0.0" "$("$LK_BIN" --version)" "lakefs version 1.0.0"
	check_eq "$what: the server that runs is 1.0.0" "$(lakefs_server_version)" 1.0.0
	check_eq "$what: KV schema version 4" "$(lakefs_db 's["kv_schema"]')" 4
	check_eq "$what: DDL version of the KV migration" "$(lakefs_db 's["ddl_version"]')" 26
	check_eq "$what: data in the 0.30 format (rocks)" "$(lakefs_db 's["cataloger"]')" rocks
	check_eq "$what: migrate db ran once, by 0.30.0" \
		"$(count "m['cmd'] == 'migrate db' and m['version'] == '0.30.0'")" 1
	check_eq "$what: the KV migration ran once, by 0.80.2" \
		"$(count "m.get('kv_migration') and m['version'] == '0.80.2'")" 1
	check_eq "$what: 1.0.0's migrate up ran once" \
		"$(count "m['version'] == '1.0.0'")" 1
	check_eq "$what: four migrations in all" "$(count True)" 4
	check_eq "$what: migrate version" \
		"$("$LK_BIN" --config "$LK_CONFIG" migrate version 2>&1)" "Database schema version: 4"
	check_eq "$what: database.type is postgres" \
		"$(python3 -c 'import yaml,sys; print(yaml.safe_load(open(sys.argv[1]))["database"]["type"])' "$LK_CONFIG")" postgres
	check_eq "$what: database.postgres holds the copied connection string" \
		"$(python3 -c 'import yaml,sys; d = yaml.safe_load(open(sys.argv[1]))["database"]; print(d["postgres"]["connection_string"] == d["connection_string"], d["postgres"]["max_open_connections"])' "$LK_CONFIG")" \
		"True 20"
	check_eq "$what: the original configuration kept beside it" \
		"$(sha "$LK_CONFIG.pre-kv-migration" 2>/dev/null)" "$config_sha"
	backup=$(ls "$LK_DIR"/backups/lakefs-*.tar.zst 2>/dev/null | head -n 1)
	mkdir -p "$LK_DIR/x"
	tar -xf "$backup" -C "$LK_DIR/x" 2>/dev/null
	check_eq "$what: upshift's backup holds the original configuration" \
		"$(sha "$LK_DIR/x/${LK_CONFIG#/}" 2>/dev/null)" "$config_sha"
	# Older binaries refuse the migrated database, as lakeFS does.
	lakefs_binary 0.25.0 "$LK_DIR/old-0.25.0"
	lakefs_binary 0.80.2 "$LK_DIR/old-0.80.2"
	check_match "$what: lakeFS 0.25.0 refuses the database" \
		"$("$LK_DIR/old-0.25.0" --config "$LK_DIR/x/${LK_CONFIG#/}" run 2>&1)" 'Migration version mismatch'
	check_match "$what: lakeFS 0.80.2 refuses the database" \
		"$("$LK_DIR/old-0.80.2" --config "$LK_CONFIG" run 2>&1)" 'incompatible schema version'
}

# --- plan, answers template -------------------------------------------------
lakefs_sandbox "$T_DIR/a" 0.25.0 || { echo "cannot set up the lakeFS sandbox"; exit 1; }
lakefs_answers "$T_DIR/a.yaml" 0.30.0 0.80.2 1.0.0
run_upshift plan lakefs --plans-dir "$PLANS_DIR" --answers "$T_DIR/a.yaml"
check_eq "upshift plan lakefs exits 0" "$T_RC" 0
check_match "upshift plan shows the migration of each hop" "$T_OUT" 'when target =0\.30\.0'
check_match "upshift plan shows migrate db" "$T_OUT" 'migrate db'
check_match "upshift plan shows the configuration change" "$T_OUT" 'lakefs-kv-config --write'
run_upshift answers lakefs --plans-dir "$PLANS_DIR"
check_eq "upshift answers lakefs exits 0" "$T_RC" 0
# Fill the template with the sandbox's answers: each key's value, each
# hop's package, the checklist's yes.
printf '%s\n' "$T_OUT" > "$T_DIR/template.yaml"
python3 - "$T_DIR/template.yaml" "$T_DIR/a.yaml" <<'PY'
import re, sys
tpl, ans = sys.argv[1], sys.argv[2]
values, maps = {}, {}
for l in open(ans).read().splitlines():
    m = re.match(r"^  (\S+): (.*)$", l)
    if m:
        maps[m.group(1)] = m.group(2)
        continue
    m = re.match(r"^(\w+): ?(.*)$", l)
    if m:
        values[m.group(1)] = m.group(2)
out, seen = [], set()
for l in open(tpl).read().splitlines():
    m = re.match(r"^  (\S+):\s*$", l)
    if m and m.group(1) in maps:
        l = "  %s: %s" % (m.group(1), maps[m.group(1)])
    m = re.match(r"^(\w+):(.*)$", l)
    if m and m.group(1) in values and values[m.group(1)]:
        l = "%s: %s" % (m.group(1), values[m.group(1)])
        seen.add(m.group(1))
    out.append(l)
out += ["%s: %s" % (k, v) for k, v in values.items() if k not in seen and v]
open(tpl, "w").write("\n".join(out) + "\n")
PY
run_upshift plan lakefs --plans-dir "$PLANS_DIR" --answers "$T_DIR/template.yaml"
check_eq "the answers template loads once filled" "$T_RC" 0
[ "$T_RC" = 0 ] || printf '%s\n' "$T_OUT" | sed 's/^/#   /' | head -n 5

# --- refused: straight to 1.0.0 without the packages of 0.30.0 and 0.80.2 ---
lakefs_start || { echo "lakeFS 0.25.0 did not start"; exit 1; }
config_sha=$(sha "$LK_CONFIG")
db_sha=$(sha "$LK_DB/lakefs.json")
bin_sha=$(sha "$LK_BIN")
pid=$(lakefs_pid)
lakefs_answers "$T_DIR/jump.yaml" 1.0.0
lk_run jump "$T_DIR/jump.yaml"
check "a jump without the intermediate packages is refused (exit 2 or 3)" \
	test "$T_RC" = 2 -o "$T_RC" = 3
check_match "the refusal names the mandatory version without a package" "$T_OUT" '0\.30\.0'
check_match "the refusal says what to do" "$T_OUT" 'add "0\.30\.0: VALUE", "0\.80\.2: VALUE" to the map of "package"'
check_match "the refusal names both versions without a package" "$T_OUT" 'no value for the hops to 0\.30\.0, 0\.80\.2: '
check_eq "refused: the database is untouched" "$(sha "$LK_DB/lakefs.json")" "$db_sha"
check_eq "refused: the configuration is untouched" "$(sha "$LK_CONFIG")" "$config_sha"
check_eq "refused: the binary is untouched" "$(sha "$LK_BIN")" "$bin_sha"
check_eq "refused: lakeFS 0.25.0 still runs" "$(lakefs_pid):$(lakefs_server_version)" "$pid:0.25.0"
check "refused: no backup was made" sh -c "! ls '$LK_DIR'/backups/*.tar.zst >/dev/null 2>&1"

# --- the whole path in one run -------------------------------------------------
rm -rf "$LK_DIR/state"
lk_run path "$T_DIR/a.yaml"
check_eq "0.25.0 -> 1.0.0: upshift run exits 0" "$T_RC" 0
t_track "$(lakefs_pid)"
upgraded "one run"
check_match "the diff of the configuration is shown before it is written" \
	"$(sed -n '/lakefs-kv-config --diff/,/lakefs-kv-config --write/p' "$T_DIR/run-path.out")" \
	'\+ *type: "postgres"'
check_match "the KV migration's log line is shown" "$T_OUT" 'KV Migration took'
check_match "the path is shown" "$T_OUT" '0\.30\.0, 0\.80\.2, 1\.0\.0'
lakefs_stop

# --- killed in the middle of the second hop, then resumed ------------------------
lakefs_sandbox "$T_DIR/b" 0.25.0 || { echo "cannot set up the lakeFS sandbox"; exit 1; }
lakefs_answers "$T_DIR/b.yaml" 0.30.0 0.80.2 1.0.0
lakefs_start || { echo "lakeFS 0.25.0 did not start"; exit 1; }
config_sha=$(sha "$LK_CONFIG")
mkfifo "$LK_DB/kv-migration.gate"
"$UPSHIFT" run lakefs --plans-dir "$PLANS_DIR" --answers "$T_DIR/b.yaml" --yes \
	--state-dir "$LK_DIR/state" > "$T_DIR/run-crash.out" 2>&1 &
up=$!
t_track "$up"
if wait_for 180 test -s "$LK_DB/kv-migrating"; then
	ok "the KV migration of 0.80.2 started"
else
	not_ok "the KV migration of 0.80.2 started" "$(tail -n 20 "$T_DIR/run-crash.out")"
fi
mig=$(cat "$LK_DB/kv-migrating" 2>/dev/null)
kill -9 "$up"
wait "$up" 2>/dev/null
check_eq "killed during hop 2: migrate db of hop 1 had run once" \
	"$(count "m['cmd'] == 'migrate db'")" 1
check_eq "killed during hop 2: the KV migration had not finished" "$(lakefs_db 's["kv_schema"]')" None
# The migration outlives upshift (it runs in its own process group): let it
# finish, as it would have after upshift's own death.
echo go > "$LK_DB/kv-migration.gate"
[ -n "$mig" ] && wait_for 60 sh -c "! kill -0 $mig 2>/dev/null"
rm -f "$LK_DB/kv-migration.gate"
lk_run resume "$T_DIR/b.yaml"
check_eq "resumed: upshift run exits 0" "$T_RC" 0
t_track "$(lakefs_pid)"
check "resumed: the first hop's swap and migration are not run again" \
	sh -c "! grep -Eq '\\$ .*lakefs --config .* migrate db' '$T_DIR/run-resume.out'"
upgraded "killed and resumed"
lakefs_stop

t_done
