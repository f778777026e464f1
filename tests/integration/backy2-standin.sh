#!/usr/bin/env bash
# plans/backy2.yaml against the backy2 stand-in (tests/standins/backy2),
# backy2 2.10.5 -> 2.13.8, on both metadata back-ends:
#  1. SQLite: an export that fails half way (a version whose block has a
#     date backy2 cannot read) stops the run: exit 1, the database is not
#     moved away and still lists every version, and the message says what
#     to do. Once the version is repaired, the run resumes without
#     exporting again what was exported, moves the database away, starts a
#     fresh one (initdb) and imports every version: the same versions are
#     listed, the alembic version is the new head, the old database is kept.
#  2. PostgreSQL (a real PostgreSQL 15): a backup job is running; the run
#     waits for it to finish before anything is migrated, then "backy2 ls"
#     migrates the metadata: the alembic version is the new head, the new
#     tables' columns are there, no version is missing.
# In both, the crontab's backy2 line is off during the upgrade and back byte
# for byte after it.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/backy2.sh"

command -v python3 >/dev/null || { echo "python3 is needed for the backy2 stand-in"; exit 77; }
command -v sqlite3 >/dev/null || { echo "sqlite3 is needed"; exit 77; }

sha() { sha256sum "$1" | cut -d' ' -f1; }
HEAD_NEW=30349b678801
HEAD_OLD=cd3f15ae79f8

# --- 1. SQLite -----------------------------------------------------------------
db=$T_DIR/s/backy.sqlite
backy2_sandbox "$T_DIR/s" 2.13.8 "sqlite:///$db" || { echo "cannot set up the backy2 sandbox"; exit 1; }
backy2_fill || { echo "cannot make backy2 versions"; exit 1; }
backy2_answers "$T_DIR/s.yaml" sqlite
state=$T_DIR/s/state
before=$(backy2_versions)
check_eq "before: three versions" "$(printf '%s\n' "$before" | grep -c .)" 3
check_eq "before: the alembic version is 2.10's" \
	"$(sqlite3 "$db" 'SELECT version_num FROM alembic_version')" "$HEAD_OLD"
mapfile -t uids < <(b2 -ms ls -f uid | sort)
bad=${uids[1]}
blocks_before=$(sqlite3 "$db" 'SELECT version_uid, count(*) FROM blocks GROUP BY version_uid ORDER BY 1')
good_date=$(sqlite3 "$db" "SELECT date FROM blocks WHERE version_uid='$bad' AND id=0")
sqlite3 "$db" "UPDATE blocks SET date='garbage' WHERE version_uid='$bad' AND id=0"
db_sha=$(sha "$db")
bin_sha=$(sha "$B2_BIN")

run_upshift plan backy2 --plans-dir "$PLANS_DIR" --answers "$T_DIR/s.yaml"
check_eq "upshift plan reads the plan" "$T_RC" 0
check_match "upshift plan shows the export of each version" "$T_OUT" \
	'for each line of uids, as \$\{item\}:'
check_match "upshift plan shows the import of each version" "$T_OUT" \
	"import $T_DIR/s/exports/\\\$\\{item\\}\\.csv|import '$T_DIR/s/exports/\\\$\\{item\\}\\.csv'"

run_upshift run backy2 --plans-dir "$PLANS_DIR" --answers "$T_DIR/s.yaml" --yes --state-dir "$state"
echo "$T_OUT" > "$T_DIR/s1.out"
check_eq "failed export: upshift exits 1" "$T_RC" 1
check_match "failed export: the message names the version" "$T_OUT" \
	"backy2 cannot export version $bad"
check_match "failed export: the message says the database was not moved" "$T_OUT" \
	'the database was not moved away'
check_match "failed export: the message says what to do" "$T_OUT" \
	"repair or remove that version \\(backy2 rm -f $bad\\), then resume with upshift run, or roll back"
check_match "failed export: backy2's own error is shown" "$T_OUT" \
	"Couldn't parse datetime string: 'garbage'"
check_eq "failed export: the database is where it was, unchanged" "$(sha "$db")" "$db_sha"
check "failed export: the database was not moved away" test ! -e "$db.upshift-old"
check_eq "failed export: backy2 is the old one" "$(sha "$B2_BIN")" "$bin_sha"
check_eq "failed export: backy2 still lists every version" "$(backy2_versions)" "$before"
check "failed export: the version before it was exported" test -s "$T_DIR/s/exports/${uids[0]}.csv"
check "failed export: the version after it was not" test ! -e "$T_DIR/s/exports/${uids[2]}.csv"
check_match "detect warned that tags are not exported" "$T_OUT" \
	'warning: Some versions have tags .*backy2 export does not carry tags'

sqlite3 "$db" "UPDATE blocks SET date='$good_date' WHERE version_uid='$bad' AND id=0"
db_sha=$(sha "$db")
run_upshift run backy2 --plans-dir "$PLANS_DIR" --answers "$T_DIR/s.yaml" --yes --state-dir "$state"
echo "$T_OUT" > "$T_DIR/s2.out"
check_eq "resumed: upshift exits 0" "$T_RC" 0
[ "$T_RC" = 0 ] || sed 's/^/#   /' "$T_DIR/s2.out" | tail -n 40
check_match "resumed: the version exported before is not exported again" "$T_OUT" \
	"stop: 1/3 ${uids[0]}: done in an earlier run"
check_match "resumed: the repaired version is exported" "$T_OUT" "stop: 2/3 $bad\$"
check_eq "resumed: each version was exported once in all" \
	"$(cat "$T_DIR/s1.out" "$T_DIR/s2.out" | grep -c "\\$ sh -c .* export ")" 4
check_match "every version is imported" "$T_OUT" "migrate: 3/3 ${uids[2]}"
check_eq "the new database's alembic version is the new head" \
	"$(sqlite3 "$db" 'SELECT version_num FROM alembic_version')" "$HEAD_NEW"
check_eq "the new database has the encryption columns" \
	"$(sqlite3 "$db" "SELECT count(*) FROM pragma_table_info('blocks') WHERE name LIKE 'enc_%'")" 3
check_eq "the same versions are listed" "$(backy2_versions)" "$before"
check_eq "every version has its blocks" \
	"$(sqlite3 "$db" 'SELECT version_uid, count(*) FROM blocks GROUP BY version_uid ORDER BY 1')" \
	"$blocks_before"
check_eq "the old database is kept beside it, as it was" "$(sha "$db.upshift-old")" "$db_sha"
check_eq "the old database still has 2.10's alembic version" \
	"$(sqlite3 "$db.upshift-old" 'SELECT version_num FROM alembic_version')" "$HEAD_OLD"
check_eq "backy2 -V is the target" "$(b2 -V)" 2.13.8
check_eq "tags do not survive an export (backy2's own limit)" "$(b2 -ms ls -f tags | grep -c .)" 0
check "the crontab is back byte for byte" cmp -s "$B2_CRONTAB" "$T_DIR/s/crontab.orig"
check_match "the crontab's backy2 line was off meanwhile" "$(cat "$T_DIR/s1.out")" \
	"commenting out in $B2_CRONTAB: 0 1 \\* \\* \\* $B2_BIN backup"
check_match "the backup archive holds the database" \
	"$(backup_listing "$T_DIR"/s/backups/backy2-*.tar.*)" 'backy\.sqlite$'

# --- 2. PostgreSQL -------------------------------------------------------------
if [ "$(id -u)" != 0 ]; then
	echo "# skip: the PostgreSQL back-end needs root (PostgreSQL runs as an unprivileged user)"
	t_done
	exit
fi
. "$UPSHIFT_SRCDIR/tests/lib/postgresql.sh"
pg_sandbox "$T_DIR/pg" || { echo "cannot set up the PostgreSQL sandbox"; exit 1; }
pg_start_free || { echo "PostgreSQL did not start"; exit 1; }
psql_ -d postgres -c 'CREATE DATABASE backy2' || { echo "cannot create the database"; exit 1; }
export PATH=$PG_BIN:$PATH
url="postgresql://postgres@127.0.0.1:$PG_PORT/backy2"
pgq() { psql_ -d backy2 -c "$1"; }
backy2_sandbox "$T_DIR/p" 2.13.8 "$url" || { echo "cannot set up the backy2 sandbox"; exit 1; }
backy2_fill || { echo "cannot make backy2 versions"; exit 1; }
# The answers' URL carries a password (PostgreSQL trusts 127.0.0.1 here,
# so libpq never needs it): it must show nowhere upshift writes.
pw=pw-s3cret-$$
backy2_answers "$T_DIR/p.yaml" postgresql "postgresql://postgres:$pw@127.0.0.1:$PG_PORT/backy2"
cp "$T_DIR/p.yaml" "$T_DIR/p-open.yaml"
chmod 644 "$T_DIR/p-open.yaml"
run_upshift run backy2 --plans-dir "$PLANS_DIR" --answers "$T_DIR/p-open.yaml" --yes --state-dir "$T_DIR/p/state-open"
check_eq "postgresql: an answers file with the secret that others may read: exit 2" "$T_RC" 2
check_match "postgresql: it says what to do" "$T_OUT" "p-open\\.yaml.*holds the secret \"pg_url\".*chmod 600"
state=$T_DIR/p/state
mapfile -t uids_before < <(b2 -ms ls -f uid | sort)
check_eq "postgresql: three versions before" "${#uids_before[@]}" 3
check_eq "postgresql: the alembic version is 2.10's" "$(pgq 'SELECT version_num FROM alembic_version')" "$HEAD_OLD"

# A backup job that runs until the test feeds its source.
mkfifo "$T_DIR/p/vm3.fifo"
b2 backup "file://$T_DIR/p/vm3.fifo" vm3 > "$T_DIR/p/job.out" 2>&1 &
job=$!
t_track "$job"
wait_for 20 sh -c "ls '$T_DIR'/p/locks/backy_*.lock >/dev/null 2>&1"
check "postgresql: the backup job holds its lock" sh -c "ls '$T_DIR'/p/locks/backy_*.lock >/dev/null 2>&1"

"$UPSHIFT" run backy2 --plans-dir "$PLANS_DIR" --answers "$T_DIR/p.yaml" --yes --state-dir "$state" \
	> "$T_DIR/p.out" 2>&1 &
up=$!
t_track "$up"
wait_for 120 grep -q 'waiting up to .* for clients to leave' "$T_DIR/p.out"
check_match "postgresql: upshift waits for the running job" "$(cat "$T_DIR/p.out")" \
	'disconnect: 1 client connected'
sleep 1
check "postgresql: upshift is still waiting" kill -0 "$up"
check_eq "postgresql: nothing is migrated while the job runs" \
	"$(pgq 'SELECT version_num FROM alembic_version')" "$HEAD_OLD"
check "postgresql: the crontab's backy2 line is off meanwhile" \
	grep -q "^#upshift(backy2) disabled: 0 1 \\* \\* \\* $B2_BIN backup" "$B2_CRONTAB"
head -c 300000 /dev/urandom > "$T_DIR/p/vm3.fifo"
wait_for 60 sh -c "! kill -0 $job 2>/dev/null"
wait "$job"
check_eq "postgresql: the job finished well" "$?" 0
wait_for 300 sh -c "! kill -0 $up 2>/dev/null"
wait "$up"
rc=$?
check_eq "postgresql: upshift run exits 0" "$rc" 0
[ "$rc" = 0 ] || sed 's/^/#   /' "$T_DIR/p.out" | tail -n 40
check_eq "postgresql: the alembic version is the new head" \
	"$(pgq 'SELECT version_num FROM alembic_version')" "$HEAD_NEW"
check_eq "postgresql: stats was rebuilt with its id column" \
	"$(pgq "SELECT count(*) FROM information_schema.columns WHERE table_name='stats' AND column_name='id'")" 1
check_eq "postgresql: blocks has the encryption columns" \
	"$(pgq "SELECT count(*) FROM information_schema.columns WHERE table_name='blocks' AND column_name LIKE 'enc_%'")" 3
check "postgresql: no stats_old table is left" \
	test "$(pgq "SELECT count(*) FROM pg_tables WHERE tablename='stats_old'")" = 0
mapfile -t uids_after < <(b2 -ms ls -f uid | sort)
check_eq "postgresql: the three versions and the job's are listed" "${#uids_after[@]}" 4
for u in "${uids_before[@]}"; do
	check "postgresql: version $u is still listed" sh -c "printf '%s\n' '${uids_after[*]}' | tr ' ' '\n' | grep -qx '$u'"
done
check_match "postgresql: the job's version is listed" "$(b2 -ms ls -f name)" '^vm3$'
check_match "postgresql: the migration was the point of no return" "$(cat "$T_DIR/p.out")" \
	'point of no return: once alembic has migrated the metadata'
check_eq "postgresql: backy2 -V is the target" "$(b2 -V)" 2.13.8
check "postgresql: the crontab is back byte for byte" cmp -s "$B2_CRONTAB" "$T_DIR/p/crontab.orig"
check_eq "postgresql: the password is in no output, log, journal or saved answers" \
	"$(cat "$T_DIR/p.out" "$state"/log/* "$state/journal" "$state/answers.yaml" | grep -c -- "$pw")" 0
check_match "postgresql: the backup archive holds the pg_dump" \
	"$(backup_listing "$T_DIR"/p/backups/backy2-*.tar.*)" 'backy2-metadata\.pgdump$'
pg_stop

t_done
