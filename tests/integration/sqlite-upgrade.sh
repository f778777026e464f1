#!/usr/bin/env bash
# A real SQLite database rebuilt by plans/sqlite.yaml (export, move away,
# import) with Debian's sqlite3 3.40. Its header says it was last written
# by SQLite 3.31.1, so the upgrade is 3.31.1 -> 3.40.1. On the way: a writer
# holding a transaction inhibits the upgrade (exit 3, nothing changed); an
# exclusive lock held during the export fails migrate (exit 1, the database
# stays where it is), and a resume once the lock is gone finishes. Asserts
# on the database itself: row counts, the whole .dump, integrity_check, the
# settings .dump leaves out, the header, and the file moved aside.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"

command -v sqlite3 >/dev/null || { echo "sqlite3 is not installed (tools/bootstrap.sh installs it)"; exit 77; }

db_dir=$T_DIR/db
db=$db_dir/app.db
mkdir -p "$db_dir"
q() {
	sqlite3 -bail -cmd '.timeout 5000' "$db" "$@"
}

# A database with what .dump must carry: AUTOINCREMENT (sqlite_sequence),
# an index, a view, a trigger, a blob, NULLs, quotes in a table name; and
# settings it leaves out: page size, user_version, application_id.
q "PRAGMA page_size = 8192;
   PRAGMA user_version = 42;
   PRAGMA application_id = 1936482662;
   CREATE TABLE notes (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL, data BLOB);
   CREATE TABLE tags (note INTEGER REFERENCES notes(id), tag TEXT);
   CREATE TABLE \"odd \"\"name\"\"\" (v);
   CREATE TABLE audit (at INTEGER, what TEXT);
   CREATE INDEX tags_tag ON tags (tag);
   CREATE VIEW tagged AS SELECT n.id, n.body, t.tag FROM notes n JOIN tags t ON t.note = n.id;
   CREATE TRIGGER notes_audit AFTER INSERT ON notes BEGIN INSERT INTO audit VALUES (new.id, 'insert'); END;
   WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 3000)
     INSERT INTO notes (body, data) SELECT 'note ' || i || ' it''s', CASE WHEN i % 7 = 0 THEN NULL ELSE randomblob(i % 50) END FROM s;
   INSERT INTO tags SELECT id, 'tag' || (id % 13) FROM notes WHERE id % 2 = 0;
   INSERT INTO \"odd \"\"name\"\"\" VALUES (1), (NULL), ('x');
   DELETE FROM notes WHERE id > 2990;" || { echo "cannot create the database"; exit 1; }

# The header's "SQLite version number" (offset 96): the library that last
# wrote the file. Set it to 3.31.1 (3031001 = 0x002e3fd9), as a file last
# written on an older system would say; SQLite itself never reads it.
header_version() {
	od -An -tu4 --endian=big -j 96 -N 4 "$1" | tr -d ' '
}
printf '\000\056\077\331' | dd of="$db" bs=1 seek=96 conv=notrunc status=none
check_eq "the header says SQLite 3.31.1 last wrote the database" "$(header_version "$db")" 3031001

counts() {
	q "SELECT (SELECT count(*) FROM notes) || ' ' || (SELECT count(*) FROM tags) || ' ' ||
	          (SELECT count(*) FROM \"odd \"\"name\"\"\") || ' ' || (SELECT count(*) FROM audit)"
}
settings() {
	q "SELECT page_size || ' ' || user_version || ' ' || application_id || ' ' || journal_mode
	   FROM pragma_page_size, pragma_user_version, pragma_application_id, pragma_journal_mode"
}
counts_before=$(counts)
check_eq "2,990 notes, 1,500 tags, 3 odd rows, 3,000 audit rows before" "$counts_before" "2990 1500 3 3000"
q .dump > "$T_DIR/before.dump"
check_eq "the dump before ends with COMMIT;" "$(tail -n 1 "$T_DIR/before.dump")" "COMMIT;"
settings_before=$(settings)
check_eq "page size, user_version, application_id, journal mode before" "$settings_before" "8192 42 1936482662 delete"
db_sha=$(sha256sum "$db" | cut -d' ' -f1)

# A process holding a transaction on the database, fed through a FIFO (read
# and write end both held here, so nothing blocks), stopped by its PID. It
# waits for a lock (.timeout): locked() below takes the write lock for an
# instant, and a holder without a timeout whose BEGIN came in that instant
# failed, so that it never held anything (seen once in CI).
holder=
hold() {
	rm -f "$T_DIR/hold.fifo"
	mkfifo "$T_DIR/hold.fifo"
	exec 8<>"$T_DIR/hold.fifo"
	sqlite3 -cmd ".timeout 10000" "$db" <&8 > "$T_DIR/hold.out" 2>&1 &
	holder=$!
	t_track "$holder"
	echo "$1" >&8
	wait_for 20 locked || echo "# the holder took no lock: $(cat "$T_DIR/hold.out")"
}
release() {
	echo "ROLLBACK;" >&8
	echo ".quit" >&8
	exec 8>&-
	wait_for 10 sh -c "! kill -0 $holder 2>/dev/null"
	wait "$holder" 2>/dev/null
	wait_for 10 unlocked
}
locked() {
	! sqlite3 -cmd '.timeout 0' "$db" 'BEGIN IMMEDIATE; ROLLBACK;' >/dev/null 2>&1
}
unlocked() {
	! locked
}

answers=$T_DIR/answers.yaml
state=$T_DIR/state
backups=$T_DIR/backups
cat > "$answers" <<ANS
database: $db
lock_timeout: 1000
writers_stopped: yes
writers_started: yes
backup_dir: $backups
ANS

# upshift plan reads the answers and shows the commands resolved.
run_upshift plan sqlite --plans-dir "$PLANS_DIR" --answers "$answers"
check_eq "upshift plan exits 0" "$T_RC" 0
check_match "plan: the writer check names the database" "$T_OUT" \
	"sqlite3 -cmd '.timeout 0' $db 'BEGIN IMMEDIATE; ROLLBACK;'"
check_match "plan: the database is moved aside by rename" "$T_OUT" "mv -T $db $db.upshift-old"
check_match "plan: verify compares the dump's digest" "$T_OUT" "dump_sha256 is the same as before"
# The answers template loads once filled in.
run_upshift answers sqlite --plans-dir "$PLANS_DIR"
printf '%s\n' "$T_OUT" | sed -e "s|^database:.*|database: $db|" -e 's/: no$/: yes/' > "$T_DIR/template.yaml"
run_upshift plan sqlite --plans-dir "$PLANS_DIR" --answers "$T_DIR/template.yaml"
check_eq "the filled answers template loads" "$T_RC" 0

# 1. Another writer holds a write transaction: inhibited, nothing changed.
hold "BEGIN IMMEDIATE; INSERT INTO notes (body) VALUES ('uncommitted');"
check "a writer holds the database" locked
run_upshift run sqlite --plans-dir "$PLANS_DIR" --answers "$answers" --yes --state-dir "$state"
check_eq "with a writer, upshift run exits 3 (inhibited)" "$T_RC" 3
check_match "it says another process is writing" "$T_OUT" "another process is writing to $db"
release
check "the writer has ended" sh -c "! kill -0 $holder 2>/dev/null"
check_eq "the database file is unchanged" "$(sha256sum "$db" | cut -d' ' -f1)" "$db_sha"
check "no backup was made" test ! -e "$backups"
check "nothing was moved aside" test ! -e "$db.upshift-old"
check "nothing was exported" test ! -e "$db.upshift-dump.sql"

# 2. The backup directory cannot be made (a file is in the way): the run
# stops after detect, so that the lock below is taken after detect's check.
: > "$backups"
run_upshift run sqlite --plans-dir "$PLANS_DIR" --answers "$answers" --yes --state-dir "$state"
check_eq "with the backup directory blocked, upshift run exits 1" "$T_RC" 1
rm -f "$backups"

# 3. Another process holds an exclusive lock during the export: sqlite3
# exits 0 and writes the error into the dump; migrate must see it.
hold "BEGIN EXCLUSIVE;"
check "another process holds an exclusive lock" locked
run_upshift run sqlite --plans-dir "$PLANS_DIR" --answers "$answers" --yes --state-dir "$state"
echo "$T_OUT" > "$T_DIR/run-locked.out"
check_eq "with the export locked out, upshift run exits 1" "$T_RC" 1
check_match "it says the export is not whole: database is locked" "$T_OUT" \
	'the export .*upshift-dump\.sql is not whole: /\*\*\*\* ERROR: \(5\) database is locked'
check "the export holds sqlite3's error line" grep -q '^/\*\*\*\* ERROR: (5) database is locked' "$db.upshift-dump.sql"
check "journal: migrate failed" grep -q 'ev: step_failed, step: migrate[,}]' "$state/journal"
check "the database was not moved aside" test ! -e "$db.upshift-old"
check_eq "the database file is still the original" "$(sha256sum "$db" | cut -d' ' -f1)" "$db_sha"
check "nothing was imported" test ! -e "$db.upshift-new"
release

# 4. Resumed once the lock is gone: it finishes.
run_upshift run sqlite --plans-dir "$PLANS_DIR" --answers "$answers" --yes --state-dir "$state"
echo "$T_OUT" > "$T_DIR/run.out"
check_eq "resumed, upshift run exits 0" "$T_RC" 0
[ "$T_RC" = 0 ] || sed 's/^/#   /' "$T_DIR/run.out" | tail -n 40
check_match "it reports 3.31.1 -> 3.40.1" "$T_OUT" 'upgraded: 3\.31\.1 -> 3\.40\.1'

# The database itself.
check_eq "row counts per table are equal" "$(counts)" "$counts_before"
q .dump > "$T_DIR/after.dump"
check "the .dump is identical before and after" cmp -s "$T_DIR/before.dump" "$T_DIR/after.dump"
check_eq "PRAGMA integrity_check says ok" "$(q 'PRAGMA integrity_check')" ok
check_eq "page size, user_version, application_id, journal mode kept" "$(settings)" "$settings_before"
check_eq "the new file was written by SQLite 3.40.1" "$(header_version "$db")" 3040001
check "the database was moved aside, not deleted" test -f "$db.upshift-old"
check_eq "the moved-aside file is the original, byte for byte" \
	"$(sha256sum "$db.upshift-old" | cut -d' ' -f1)" "$db_sha"
check "no -new file is left" test ! -e "$db.upshift-new"
check_eq "the export ends with COMMIT;" "$(tail -n 1 "$db.upshift-dump.sql")" "COMMIT;"
check "the export holds no ERROR line" sh -c "! grep -q 'ERROR:' '$db.upshift-dump.sql'"
check_eq "the trigger still fires in the new database" \
	"$(q "INSERT INTO notes (body) VALUES ('after'); SELECT count(*) FROM audit WHERE at = (SELECT max(id) FROM notes)")" 1
check_eq "AUTOINCREMENT goes on after the highest id ever given" \
	"$(q "SELECT max(id) FROM notes")" 3001

# The backup archive holds the original database.
backup=$(ls "$backups"/sqlite-*.tar.zst 2>/dev/null | head -n 1)
check "a backup archive was written" test -f "$backup"
mkdir -p "$T_DIR/x"
tar -xf "$backup" -C "$T_DIR/x" 2>/dev/null
check_eq "the archived database is the original" \
	"$(sha256sum "$T_DIR/x/${db#/}" 2>/dev/null | cut -d' ' -f1)" "$db_sha"

# 5. A database in WAL mode (closed, so no -wal file) stays in WAL mode.
wal=$T_DIR/wal/wal.db
mkdir -p "$T_DIR/wal"
sqlite3 -bail "$wal" "PRAGMA journal_mode = wal; CREATE TABLE kv (k TEXT PRIMARY KEY, v) WITHOUT ROWID;
	WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 500)
	INSERT INTO kv SELECT 'k' || i, i * i FROM s;" > /dev/null
wal_dump=$(sqlite3 "$wal" .dump)
check "the WAL database has no -wal file once closed" test ! -e "$wal-wal"
printf 'database: %s\nwriters_stopped: yes\nwriters_started: yes\nbackup_dir: %s\n' \
	"$wal" "$T_DIR/wal-backups" > "$T_DIR/wal.yaml"
run_upshift run sqlite --plans-dir "$PLANS_DIR" --answers "$T_DIR/wal.yaml" --yes --state-dir "$T_DIR/wal-state"
check_eq "the WAL database: upshift run exits 0" "$T_RC" 0
[ "$T_RC" = 0 ] || printf '%s\n' "$T_OUT" | sed 's/^/#   /' | tail -n 20
check_eq "it is still in WAL mode" "$(sqlite3 "$wal" 'PRAGMA journal_mode')" wal
check_eq "its .dump is identical" "$(sqlite3 "$wal" .dump)" "$wal_dump"
check "its old file was moved aside" test -f "$wal.upshift-old"

run_upshift status sqlite --plans-dir "$PLANS_DIR" --state-dir "$state"
check_match "upshift status says it finished" "$T_OUT" 'finished: nothing left to do'

t_done
