#!/usr/bin/env bash
# A real restic repository upgraded from format version 1 to 2 by
# plans/restic.yaml with Debian's restic 0.14, while a backup is running:
# the wizard shows its lock and waits until the backup has finished by
# itself (it is never killed), removes a crashed backup's stale lock, then
# migrates. Asserts on restic's own output: "restic cat config" says version
# 2, "restic check" passes, every old snapshot is still listed, a file
# restored from the oldest snapshot is the original, and the running
# backup's snapshot exists and holds what it was fed. The password is a
# secret answer: it must not appear in the state directory.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"

command -v restic >/dev/null || { echo "restic is not installed (tools/bootstrap.sh installs it)"; exit 77; }

mkdir -p "$T_DIR/tmp"
export TMPDIR=$T_DIR/tmp                # restic check's temporary cache
export RESTIC_CACHE_DIR=$T_DIR/cache
export RESTIC_REPOSITORY=$T_DIR/repo
export RESTIC_PASSWORD_FILE=$T_DIR/password
unset RESTIC_PASSWORD RESTIC_PASSWORD_COMMAND RESTIC_REPOSITORY_FILE
pw="upshift-test-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
(umask 077 && printf '%s\n' "$pw" > "$RESTIC_PASSWORD_FILE")

format_version() {
	restic cat config --no-lock 2>/dev/null | sed -n 's/^ *"version": *\([0-9]*\),\{0,1\}$/\1/p'
}
snapshot_ids() {
	restic list snapshots --no-lock 2>/dev/null | sort
}
# locks_at_least N: restic lists N locks or more; they are left in $LOCKS.
locks_at_least() {
	LOCKS=$(restic list locks --no-lock 2>/dev/null) &&
		[ "$(printf '%s' "$LOCKS" | grep -c .)" -ge "$1" ]
}

restic init -q --repository-version 1 > "$T_DIR/init.out" 2>&1 || { cat "$T_DIR/init.out"; echo "restic init failed"; exit 1; }
check_eq "restic cat config says version 1" "$(format_version)" 1

# Three snapshots of a tree that changes between them.
tree=$T_DIR/tree
mkdir -p "$tree/sub" "$T_DIR/orig"
printf 'first version of a\n' > "$tree/a.txt"
head -c 300000 /dev/urandom > "$tree/b.bin"
seq 1 5000 > "$tree/sub/c.txt"
cp "$tree/a.txt" "$tree/b.bin" "$T_DIR/orig/"
restic backup -q --tag old "$tree" > /dev/null || { echo "restic backup 1 failed"; exit 1; }
first=$(snapshot_ids)
printf 'second version of a\n' > "$tree/a.txt"
printf 'new\n' > "$tree/d.txt"
restic backup -q --tag old "$tree" > /dev/null || { echo "restic backup 2 failed"; exit 1; }
head -c 1000 /dev/urandom >> "$tree/b.bin"
restic backup -q --tag old "$tree" > /dev/null || { echo "restic backup 3 failed"; exit 1; }
ids_before=$(snapshot_ids)
check_eq "three snapshots before" "$(printf '%s\n' "$ids_before" | grep -c .)" 3

# restic backup --stdin from FIFO: it holds its lock until the FIFO's last
# writer closes. Opened read-write first so that no open blocks; then the
# only writer left is fd $2, which the test closes to end the backup.
start_stdin_backup() {       # NAME FD
	local fifo=$T_DIR/$1.fifo
	mkfifo "$fifo"
	exec {rw}<>"$fifo"
	restic backup --tag "$1" --stdin --stdin-filename "$1.txt" < "$fifo" > "$T_DIR/$1.out" 2>&1 {rw}>&- &
	eval "exec $2>\"\$fifo\""
	exec {rw}>&-
}

# A backup that crashed: its lock stays, stale (its process is gone).
start_stdin_backup crashed 8
crashed=$!
t_track "$crashed"
wait_for 60 locks_at_least 1
stale_lock=$LOCKS
{ kill -9 "$crashed"; wait "$crashed"; } 2>/dev/null
exec 8>&-
check "the crashed backup left a lock" test -n "$stale_lock"

# A backup that runs during the upgrade. Every process started from here on
# closes fd 9, the FIFO's only writer, except the test itself.
live_data="fed to the live backup $(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
start_stdin_backup live 9
live=$!
t_track "$live"
printf '%s\n' "$live_data" >&9
wait_for 60 locks_at_least 2
live_lock=$(printf '%s\n' "$LOCKS" | grep -vxF "$stale_lock")
check_match "the live backup holds a lock with its pid" \
	"$(restic cat lock --no-lock "$live_lock" 2>/dev/null)" "\"pid\": $live\$"

answers=$T_DIR/answers.yaml
state=$T_DIR/state
backups=$T_DIR/backups
cat > "$answers" <<ANS
repository: $RESTIC_REPOSITORY
password: "$pw"
jobs_paused: yes
jobs_resumed: yes
backup_dir: $backups
ANS
chmod 600 "$answers"     # it holds a secret

# upshift plan reads the answers, resolves the commands, masks the secret.
run_upshift plan restic --plans-dir "$PLANS_DIR" --answers "$answers"
check_eq "upshift plan exits 0" "$T_RC" 0
check_match "plan: disconnect lists restic's locks" "$T_OUT" 'clients: \$ .*restic" list locks --no-lock'
check_match "plan: migrate runs restic migrate upgrade_repo_v2" "$T_OUT" '\$ restic migrate upgrade_repo_v2'
check_match "plan: the repository is archived" "$T_OUT" "^ +$RESTIC_REPOSITORY\$"
check "plan: the password is not shown" sh -c '! printf "%s" "$1" | grep -qF -- "$2"' _ "$T_OUT" "$pw"
# The answers template loads once filled in.
run_upshift answers restic --plans-dir "$PLANS_DIR"
printf '%s\n' "$T_OUT" | sed -e "s|^repository:.*|repository: $RESTIC_REPOSITORY|" -e 's/: no$/: yes/' \
	> "$T_DIR/template.yaml"
run_upshift plan restic --plans-dir "$PLANS_DIR" --answers "$T_DIR/template.yaml"
check_eq "the filled answers template loads" "$T_RC" 0

# The upgrade, in the background: it must wait for the live backup.
"$UPSHIFT" run restic --plans-dir "$PLANS_DIR" --answers "$answers" --yes --state-dir "$state" \
	> "$T_DIR/run.out" 2>&1 9>&- &
up=$!
t_track "$up"
wait_for 120 grep -q 'waiting up to .* for clients to leave' "$T_DIR/run.out"
check "the wizard waits for clients to leave" grep -q 'waiting up to 10m00s for clients to leave' "$T_DIR/run.out"
check "it counts one client" grep -q '1 client connected' "$T_DIR/run.out"
check "it shows the live backup's lock" grep -qF "$live_lock" "$T_DIR/run.out"
locks_at_least 1
check_eq "the crashed backup's stale lock was removed, the live one kept" "$LOCKS" "$live_lock"
check_eq "the repository is still at version 1 meanwhile" "$(format_version)" 1
# The wizard polls every second: once it has looked again, it is still there.
polls() {
	test "$(grep -c 'disconnect: \$ sh -c .*list locks' "$T_DIR/run.out")" -ge "$1"
}
wait_for 60 polls 3
check "it lists the locks again while it waits" polls 3
check "upshift is still running" kill -0 "$up"
check "the live backup is still running" kill -0 "$live"
check "upshift has not gone past disconnect" sh -c "! grep -q '==> step 4/8' '$T_DIR/run.out'"

# The backup ends by itself once its input ends.
printf 'the end\n' >&9
exec 9>&-
wait_for 60 sh -c "! kill -0 $live 2>/dev/null"
wait "$live"
check_eq "the live backup exited 0 (it finished, it was not killed)" "$?" 0
check_match "the live backup saved its snapshot" "$(cat "$T_DIR/live.out")" '^snapshot [0-9a-f]+ saved$'
wait_for 300 sh -c "! kill -0 $up 2>/dev/null"
wait "$up"
rc=$?
check_eq "upshift run exits 0" "$rc" 0
[ "$rc" = 0 ] || sed 's/^/#   /' "$T_DIR/run.out" | tail -n 40
check "it went on once no client was left" grep -q 'no client is connected' "$T_DIR/run.out"
check_match "it reports 1 -> 2" "$(cat "$T_DIR/run.out")" 'upgraded: 1 -> 2'

# restic's own view of the repository.
check_eq "restic cat config says version 2" "$(format_version)" 2
restic check > "$T_DIR/check.out" 2>&1
check_eq "restic check exits 0" "$?" 0
ids_after=$(snapshot_ids)
check_eq "every snapshot from before is still listed" \
	"$(comm -23 <(printf '%s\n' "$ids_before") <(printf '%s\n' "$ids_after"))" ""
live_id=$(comm -13 <(printf '%s\n' "$ids_before") <(printf '%s\n' "$ids_after"))
check_eq "one snapshot more: the live backup's" "$(printf '%s\n' "$live_id" | grep -c .)" 1
check_eq "the live snapshot holds what the backup was fed" \
	"$(restic dump -q --no-lock "$live_id" /live.txt 2>/dev/null)" "$(printf '%s\nthe end' "$live_data")"
restic restore -q "$first" --target "$T_DIR/restore" > /dev/null 2>&1
check "a.txt restored from the oldest snapshot is the original" \
	cmp -s "$T_DIR/restore/${tree#/}/a.txt" "$T_DIR/orig/a.txt"
check "b.bin restored from the oldest snapshot is the original" \
	cmp -s "$T_DIR/restore/${tree#/}/b.bin" "$T_DIR/orig/b.bin"

# The backup was taken cold, in two parts: the repository archived while
# the jobs ran, then what changed until the stop (after the drain), which
# holds the live snapshot.
backup=$(ls "$backups"/restic-*.tar.zst 2>/dev/null | grep -v -- '-changed\.' | head -n 1)
delta=$(ls "$backups"/restic-*-changed.tar.zst 2>/dev/null | head -n 1)
check "a backup archive was written" test -f "$backup"
check "and the archive of what changed before the stop" test -f "$delta"
listing=$(tar -tf "$backup" 2>/dev/null)
check_match "it holds the repository's config" "$listing" "^${RESTIC_REPOSITORY#/}/config\$"
check_match "what changed holds the live backup's snapshot (written after the drain)" \
	"$(tar -tf "$delta" 2>/dev/null)" "^${RESTIC_REPOSITORY#/}/snapshots/$live_id\$"

# The secret answer is nowhere in the state directory, the log or the output.
check "the password is not in the state directory" sh -c "! grep -rqF -- '$pw' '$state'"
check "the password is not in upshift's output" sh -c "! grep -qF -- '$pw' '$T_DIR/run.out'"
check "answers.yaml was saved without it" grep -q '^repository: ' "$state/answers.yaml"

run_upshift run restic --plans-dir "$PLANS_DIR" --answers "$answers" --yes --state-dir "$state"
check_match "a second run has nothing left to do" "$T_OUT" 'nothing left to do'

# A version 2 repository: inhibited, nothing changed (password from a file).
cat > "$T_DIR/again.yaml" <<ANS
repository: $RESTIC_REPOSITORY
password_file: $RESTIC_PASSWORD_FILE
jobs_paused: yes
jobs_resumed: yes
backup_dir: $T_DIR/backups-again
ANS
run_upshift run restic --plans-dir "$PLANS_DIR" --answers "$T_DIR/again.yaml" --yes --state-dir "$T_DIR/state-again"
check_eq "on a version 2 repository, upshift run exits 3" "$T_RC" 3
check_match "it says there is nothing to upgrade" "$T_OUT" 'at format version 2 already: there is nothing to upgrade'
check "no backup was made" test ! -e "$T_DIR/backups-again"
check_eq "restic cat config still says version 2" "$(format_version)" 2

t_done
