# tests/lib/backy2.sh: a backy2 sandbox for plans/backy2.yaml (sourced after
# common.sh): the backy2 stand-in (tests/standins/backy2) installed as an old
# release, its configuration, metadata in SQLite or PostgreSQL holding a few
# versions made by real backups of small files, a crontab with a backy2
# line, and the new release as a package (usr/bin/backy2 in a tar).

BACKY2_STANDIN=$UPSHIFT_SRCDIR/tests/standins/backy2
BACKY2_OLD=2.10.5

# backy2_sandbox DIR NEW_VERSION ENGINE: set up DIR with the metadata at
# ENGINE (an SQLAlchemy URL); sets B2_DIR, B2_BIN, B2_CONFIG, B2_PKG,
# B2_CRONTAB.
backy2_sandbox() {
	B2_DIR=$1
	local new=$2 engine=$3
	B2_BIN=$B2_DIR/bin/backy2
	B2_CONFIG=$B2_DIR/backy.cfg
	B2_CRONTAB=$B2_DIR/crontab
	B2_PKG=$B2_DIR/backy2-$new.tar.gz
	mkdir -p "$B2_DIR/bin" "$B2_DIR/pkg/usr/bin" "$B2_DIR/data" "$B2_DIR/locks" \
		"$B2_DIR/backups" || return 1
	backy2_build "$BACKY2_OLD" "$B2_BIN" || return 1
	backy2_build "$new" "$B2_DIR/pkg/usr/bin/backy2" || return 1
	tar -czf "$B2_PKG" -C "$B2_DIR/pkg" usr || return 1
	cat > "$B2_CONFIG" <<CFG
[DEFAULTS]
logfile: $B2_DIR/backy.log
lock_dir: $B2_DIR/locks

[MetaBackend]
type: backy2.meta_backends.sql
engine: $engine

[DataBackend]
type: backy2.data_backends.file
path: $B2_DIR/data
CFG
	printf '%s\n' 'MAILTO=root' \
		"0 1 * * * $B2_BIN backup file:///dev/vg0/vm1 vm1  " \
		'30 5 * * * /usr/local/bin/rotate-logs' > "$B2_CRONTAB" || return 1
	chmod 0600 "$B2_CRONTAB"
	cp -p "$B2_CRONTAB" "$B2_DIR/crontab.orig"
	b2 initdb >/dev/null || return 1
}

# backy2_build VERSION PATH: the stand-in as that release.
backy2_build() {
	sed "s/^VERSION = .*/VERSION = \"$1\"/" "$BACKY2_STANDIN" > "$2" && chmod 0755 "$2"
}

# b2 ARGS...: the installed backy2 with the sandbox's configuration.
b2() {
	"$B2_BIN" -c "$B2_CONFIG" "$@"
}

# backy2_fill: versions by real backups: two of vm1 (the second tagged),
# one of vm2 with an expiry date.
backy2_fill() {
	head -c 6000000 /dev/urandom > "$B2_DIR/vm1.img" || return 1
	head -c 70000 /dev/urandom > "$B2_DIR/vm2.img" || return 1
	b2 backup "file://$B2_DIR/vm1.img" vm1 >/dev/null || return 1
	b2 backup -s snap-2 -t weekly "file://$B2_DIR/vm1.img" vm1 >/dev/null || return 1
	b2 backup -e 2031-01-31 "file://$B2_DIR/vm2.img" vm2 >/dev/null || return 1
}

# What the plan compares: every field backy2's export carries back.
backy2_versions() {
	b2 -ms ls -f uid,name,snapshot_name,size,size_bytes,valid,protected,expire | sort
}

# backy2_answers FILE BACKEND [PG_URL]
backy2_answers() {
	cat > "$1" <<ANS
package: $B2_PKG
backend: $2
backy2_bin: $B2_BIN
config: $B2_CONFIG
sqlite_db: $B2_DIR/backy.sqlite
pg_url: ${3:-}
metadata_backup: $([ "$2" = sqlite ] && echo "$B2_DIR/backy.sqlite" || echo "$B2_CONFIG")
export_dir: $B2_DIR/exports
crontab_file: $B2_CRONTAB
backup_dir: $B2_DIR/backups
disconnect_check_1: yes
reconnect_check_1: yes
ANS
	# pg_url is a secret: upshift refuses an answers file others may read.
	chmod 600 "$1"
}
