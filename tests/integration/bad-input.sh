#!/usr/bin/env bash
# Bad input never costs data: each case exits non-zero with a one-line error
# naming the problem (file:line:column where there is a file), and the Redis
# server is still running the old binary with its data, the journal untouched.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/redis.sh"

port=$(free_port) || { echo "no free port"; exit 1; }
redis_sandbox "$T_DIR/redis" "$port" || { echo "cannot set up the Redis sandbox"; exit 1; }
redis_start || { echo "redis did not start"; exit 1; }
redis_fill || { echo "cannot fill redis"; exit 1; }
digest=$(redis_digest)
pid=$(redis_pid)
exe_sha=$(redis_running_binary_sha)
old_sha=$(sha256sum "$REDIS_BIN/redis-check-rdb" | cut -d' ' -f1)
state=$T_DIR/state
good=$T_DIR/good.yaml
redis_answers "$good"

# untouched NAME: the server, its binary, its data and the state are as they were.
untouched() {
	check_eq "$1: redis still runs (same pid)" "$(redis_pid)" "$pid"
	check_eq "$1: the running binary is the old one" "$(redis_running_binary_sha)" "$exe_sha"
	check_eq "$1: the binary on disk is the old one" "$(sha256sum "$REDIS_BIN/redis-check-rdb" | cut -d' ' -f1)" "$old_sha"
	check_eq "$1: the data is the same" "$(redis_digest)" "$digest"
	check "$1: no journal was written" test ! -e "$state/journal"
	check "$1: no .upshift-old file" test ! -e "$REDIS_BIN/redis-check-rdb.upshift-old"
}

# expect_error NAME RC REGEX ARGS...: one line on stderr matching REGEX, exit RC.
expect_error() {
	local name=$1 rc=$2 re=$3 err
	shift 3
	err=$("$UPSHIFT" "$@" 2>&1 >/dev/null)
	local got=$?
	check_eq "$name: exit code" "$got" "$rc"
	check_eq "$name: one line of error" "$(printf '%s\n' "$err" | grep -c .)" 1
	check_match "$name: the error names the problem" "$err" "$re"
}

run=(run redis --plans-dir "$PLANS_DIR" --yes --state-dir "$state")

# Answers: a misspelt key, with the closest known key suggested.
sed 's/^port:/prot:/' "$good" > "$T_DIR/misspelt.yaml"
line=$(grep -n '^prot:' "$T_DIR/misspelt.yaml" | cut -d: -f1)
expect_error "misspelt answer key" 2 \
	"misspelt\\.yaml:$line:1: unknown key \"prot\" \\(did you mean \"port\"\\?\\)" \
	"${run[@]}" --answers "$T_DIR/misspelt.yaml"
untouched "misspelt answer key"

# Answers: a required answer missing (the package), listed by name.
grep -v '^package:' "$good" > "$T_DIR/missing.yaml"
expect_error "missing required answer" 2 "missing\\.yaml: missing required answers?: package" \
	"${run[@]}" --answers "$T_DIR/missing.yaml"
untouched "missing required answer"

# Answers: a value of the wrong type.
sed "s/^port:.*/port: sixty/" "$good" > "$T_DIR/badtype.yaml"
expect_error "answer of the wrong type" 2 "badtype\\.yaml:[0-9]+:[0-9]+: .*port.*integer" \
	"${run[@]}" --answers "$T_DIR/badtype.yaml"
untouched "answer of the wrong type"

# Answers: an integer out of its range, at load (not as a failure in detect).
sed "s/^port:.*/port: -1/" "$good" > "$T_DIR/badport.yaml"
line=$(grep -n '^port:' "$T_DIR/badport.yaml" | cut -d: -f1)
expect_error "port out of range" 2 "badport\\.yaml:$line:7: \"port\" must be an integer from 1 to 65535" \
	"${run[@]}" --answers "$T_DIR/badport.yaml"
untouched "port out of range"

# A package whose SHA-256 does not match.
cp "$good" "$T_DIR/badsum.yaml"
echo "package_sha256: $(printf '%064d' 0)" >> "$T_DIR/badsum.yaml"
expect_error "wrong package SHA-256" 2 "SHA-256 is [0-9a-f]{64}, expected 0{64}" \
	"${run[@]}" --answers "$T_DIR/badsum.yaml"
untouched "wrong package SHA-256"

# A package that is not there.
sed "s|^package:.*|package: $T_DIR/nothing.deb|" "$good" > "$T_DIR/nopkg.yaml"
expect_error "missing package file" 2 "nopkg\\.yaml:[0-9]+:[0-9]+: .*package.*nothing\\.deb" \
	"${run[@]}" --answers "$T_DIR/nopkg.yaml"
untouched "missing package file"

# A hostile package: the binary is setuid. Detect refuses it while staging,
# naming the member; nothing past detect runs, nothing is installed.
mkdir -p "$T_DIR/evil/usr/bin"
cp "$REDIS_DIR/new/usr/bin/redis-check-rdb" "$REDIS_DIR/new/usr/bin/redis-cli" "$T_DIR/evil/usr/bin/"
chmod 4755 "$T_DIR/evil/usr/bin/redis-check-rdb"
tar -czf "$T_DIR/evil.tar.gz" -C "$T_DIR/evil" usr
sed "s|^package:.*|package: $T_DIR/evil.tar.gz|" "$good" > "$T_DIR/evil.yaml"
err=$("$UPSHIFT" "${run[@]}" --answers "$T_DIR/evil.yaml" 2>&1 >/dev/null)
check_eq "setuid package: exit 2" "$?" 2
check_match "setuid package: the error names the member" "$(printf '%s\n' "$err" | grep '^upshift: error:')" 'usr/bin/redis-check-rdb.*setuid'
check "setuid package: nothing past detect ran" sh -c "! grep -q 'ev: step_start, step: backup' '$state/journal'"
check_eq "setuid package: redis still runs (same pid)" "$(redis_pid)" "$pid"
check_eq "setuid package: the binary on disk is the old one" "$(sha256sum "$REDIS_BIN/redis-check-rdb" | cut -d' ' -f1)" "$old_sha"
check "setuid package: nothing staged beside the target" test ! -e "$REDIS_BIN/redis-check-rdb.upshift-new"
rm -rf "$state"

# A package that is not the target: Debian's redis-tools 7.0.15 given for a
# target of 7.0.16. Detect reads the .deb's own Version: and refuses it
# before anything stops or is staged beside the target.
expect_error "package of another version (upshift plan)" 2 'version 5:7\.0\.15-1~deb12u[0-9]+, not the target 7\.0\.16' \
	plan redis --plans-dir "$PLANS_DIR" --answers "$good" --target 7.0.16
err=$("$UPSHIFT" "${run[@]}" --answers "$good" --target 7.0.16 2>&1 >/dev/null)
check_eq "package of another version: exit 2" "$?" 2
check_match "package of another version: the error names both versions" \
	"$(printf '%s\n' "$err" | grep '^upshift: error:')" 'version 5:7\.0\.15-1~deb12u[0-9]+, not the target 7\.0\.16'
check "package of another version: nothing past detect ran" sh -c "! grep -q 'ev: step_start, step: backup' '$state/journal'"
check_eq "package of another version: redis still runs (same pid)" "$(redis_pid)" "$pid"
check_eq "package of another version: the binary on disk is the old one" "$(sha256sum "$REDIS_BIN/redis-check-rdb" | cut -d' ' -f1)" "$old_sha"
check "package of another version: nothing staged beside the target" test ! -e "$REDIS_BIN/redis-check-rdb.upshift-new"
rm -rf "$state"

# Malformed plans, one per class of error. Each file in tests/data/bad-plans
# says on its first line the error it must produce, as "# expect: REGEX".
for plan in "$UPSHIFT_SRCDIR"/tests/data/bad-plans/*.yaml; do
	name=$(basename "$plan" .yaml)
	want=$(sed -n '1s/^# expect: //p' "$plan")
	expect_error "plan $name" 2 "$(basename "$plan"):$want" run "$plan" --answers "$good" --yes --state-dir "$state"
	expect_error "plan $name (upshift plan)" 2 "$(basename "$plan"):$want" plan "$plan"
	untouched "plan $name"
done

# Usage errors.
expect_error "unknown command" 2 'unknown command "upgrade"' upgrade redis
expect_error "unknown option" 2 'unknown option "--frobnicate"' run redis --frobnicate
expect_error "unknown plan" 2 'no plan "nosuch"' run nosuch --plans-dir "$PLANS_DIR" --answers "$good" --yes --state-dir "$state"
expect_error "scripted run without --yes" 2 'give --yes' run redis --plans-dir "$PLANS_DIR" --answers "$good" --state-dir "$state" </dev/null
untouched "usage errors"

t_done
