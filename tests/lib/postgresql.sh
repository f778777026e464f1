# tests/lib/postgresql.sh: a throwaway PostgreSQL 15 from Debian's packages,
# run as an unprivileged user. Source after common.sh.
#
# The server packages are unpacked with dpkg-deb -x into DIR/root (Debian's
# binaries find their share directory relative to themselves), the cluster
# is initdb'd into DIR/pg/data and listens on 127.0.0.1:PORT and on a socket
# in DIR/pg/run. PostgreSQL refuses to run as root: when the test runs as
# root (CI does), the server and every command that controls it run as
# PG_OS_USER through runuser; the plan does the same.

PG_OLD_VERSION=${PG_OLD_VERSION:-15.18-0+deb12u1}
PG_NEW_VERSION=${PG_NEW_VERSION:-15.20-0+deb12u1}
PG_OS_USER=${PG_OS_USER:-upshift-pg}

# Skip unless root: runuser (how the plan runs commands as the cluster's
# owner) works only for root, and PostgreSQL will not run as root itself.
pg_need_root() {
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: needs root, to run PostgreSQL as an unprivileged user with runuser"
		exit 77
	fi
}

# The unprivileged user the server runs as: created (a system user without
# a home or a login shell) when it does not exist yet.
pg_os_user() {
	getent passwd "$PG_OS_USER" >/dev/null && return 0
	useradd --system --no-create-home --home-dir /nonexistent \
		--shell /usr/sbin/nologin "$PG_OS_USER" 2>/dev/null && return 0
	# Another test may have created it meanwhile.
	getent passwd "$PG_OS_USER" >/dev/null
}

pg_as() {
	runuser -u "$PG_OS_USER" -- "$@"
}

# pg_sandbox DIR: unpack the three packages plans/postgresql.yaml swaps
# (postgresql-15, postgresql-client-15, libpq5) of the old version into
# DIR/root, and each new one into a directory of its own (DIR/new,
# DIR/new-client, DIR/new-libpq: PG_NEW_DEB, PG_NEW_CLIENT_DEB and
# PG_NEW_LIBPQ_DEB are their files); initdb the cluster (superuser
# "postgres", trust authentication: it listens on 127.0.0.1 and in a socket
# directory only this user can enter).
pg_sandbox() {
	local dir=$1 client_deb libpq_deb
	pg_os_user || return 1
	PG_OLD_DEB=$(fetch_deb postgresql-15 "$PG_OLD_VERSION") || return 1
	PG_NEW_DEB=$(fetch_deb postgresql-15 "$PG_NEW_VERSION") || return 1
	PG_NEW_CLIENT_DEB=$(fetch_deb postgresql-client-15 "$PG_NEW_VERSION") || return 1
	PG_NEW_LIBPQ_DEB=$(fetch_deb libpq5 "$PG_NEW_VERSION") || return 1
	client_deb=$(fetch_deb postgresql-client-15 "$PG_OLD_VERSION") || return 1
	libpq_deb=$(fetch_deb libpq5 "$PG_OLD_VERSION") || return 1
	mkdir -p "$dir/root" "$dir/new" "$dir/new-client" "$dir/new-libpq" "$dir/pg/data" \
		"$dir/pg/run" || return 1
	dpkg-deb -x "$PG_OLD_DEB" "$dir/root" || return 1
	dpkg-deb -x "$client_deb" "$dir/root" || return 1
	dpkg-deb -x "$libpq_deb" "$dir/root" || return 1
	dpkg-deb -x "$PG_NEW_DEB" "$dir/new" || return 1
	dpkg-deb -x "$PG_NEW_CLIENT_DEB" "$dir/new-client" || return 1
	dpkg-deb -x "$PG_NEW_LIBPQ_DEB" "$dir/new-libpq" || return 1
	chown -R "$PG_OS_USER:" "$dir/pg" || return 1
	chmod 0700 "$dir/pg" "$dir/pg/data" || return 1
	PG_DIR=$dir
	PG_PORT=
	PG_ROOT=$dir/root
	PG_BIN=$dir/root/usr/lib/postgresql/15/bin
	PG_DATA=$dir/pg/data
	PG_RUN=$dir/pg/run
	PG_LOG=$dir/pg/postgresql.log
	pg_as "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth=trust -E UTF8 \
		--locale=C.UTF-8 -N > "$dir/initdb.log" 2>&1 || { tail -n 20 "$dir/initdb.log"; return 1; }
	cat >> "$PG_DATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = 5432
unix_socket_directories = '$PG_RUN'
external_pid_file = '$PG_RUN/postgresql.pid'
max_connections = 40
shared_buffers = 32MB
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
}

psql_() {
	"$PG_BIN/psql" -X -A -t -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres "$@"
}

pg_ready() {
	"$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres
}

pg_pid() {
	head -n 1 "$PG_RUN/postgresql.pid" 2>/dev/null
}

# Start the server and wait until it accepts connections (pg_ctl -w, and at
# most 60 s more).
pg_start() {
	pg_as "$PG_BIN/pg_ctl" start -w -t 120 -D "$PG_DATA" -l "$PG_LOG" >/dev/null 2>&1 || return 1
	wait_for 60 pg_ready || return 1
	t_track "$(pg_pid)"
}

# The first start: on a free port (PG_PORT), trying another one when
# something took the port between free_port and the bind (5 tries).
pg_start_free() {
	local try
	for try in 1 2 3 4 5; do
		PG_PORT=$(free_port) || return 1
		pg_as sed -i "s/^port = .*/port = $PG_PORT/" "$PG_DATA/postgresql.conf" || return 1
		rm -f "$PG_LOG"
		pg_start && return 0
		grep -q 'could not bind' "$PG_LOG" 2>/dev/null || break
	done
	tail -n 20 "$PG_LOG" 2>/dev/null
	return 1
}

# Stop the server this test started (through its external pid file), and
# wait until it is gone.
pg_stop() {
	local pid
	pid=$(pg_pid)
	[ -n "$pid" ] || return 0
	kill -INT "$pid" 2>/dev/null || return 0
	wait_for 60 sh -c "! kill -0 $pid 2>/dev/null"
}

# pg_new_file PACKAGE FILE: the new PACKAGE's copy of FILE (a path below
# the root, as usr/lib/postgresql/15/bin/psql), in the sandbox's DIR/new*.
pg_new_file() {
	case $1 in
	postgresql-15) echo "$PG_DIR/new/$2" ;;
	postgresql-client-15) echo "$PG_DIR/new-client/$2" ;;
	libpq5) echo "$PG_DIR/new-libpq/$2" ;;
	esac
}

# One file of each package the plan swaps, "PACKAGE FILE" a line: their
# old and new copies differ.
PG_SWAPPED_FILES="postgresql-15 usr/lib/postgresql/15/bin/postgres
postgresql-client-15 usr/lib/postgresql/15/bin/psql
libpq5 usr/lib/x86_64-linux-gnu/libpq.so.5.15"

# The files plans/postgresql.yaml swaps, from the new packages to the
# sandbox's root as the plan maps them (what a bare upgrade copies).
pg_copy_new() {
	local b bins=()
	for b in "$PG_DIR/new/usr/lib/postgresql/15/bin/"* "$PG_DIR/new-client/usr/lib/postgresql/15/bin/"*; do
		[ -L "$b" ] || bins+=("$b")	# bin/postmaster: the same link in every release
	done
	cp -a "$PG_DIR/new/usr/lib/postgresql/15/lib/." "$PG_ROOT/usr/lib/postgresql/15/lib/" &&
		cp -a "$PG_DIR/new/usr/share/postgresql/15/." "$PG_ROOT/usr/share/postgresql/15/" &&
		cp -a "${bins[@]}" "$PG_BIN/" &&
		cp -a "$PG_DIR/new-libpq/usr/lib/x86_64-linux-gnu/libpq.so.5.15" "$PG_ROOT/usr/lib/x86_64-linux-gnu/"
}

# An answers file for plans/postgresql.yaml pointing at the sandbox.
pg_answers() {
	local file=$1 pkg=${2:-$PG_NEW_DEB}
	cat > "$file" <<ANS
package: $pkg
package_client: $PG_NEW_CLIENT_DEB
package_libpq: $PG_NEW_LIBPQ_DEB
pg_root: $PG_ROOT
os_user: $PG_OS_USER
data_dir: $PG_DATA
config_dir: $PG_DATA
host: 127.0.0.1
port: $PG_PORT
db_user: postgres
database: bench
stable_tables: '^public\\.pgbench_(accounts|branches|tellers)$'
service_manager: pidfile
pidfile: $PG_RUN/postgresql.pid
log_file: $PG_LOG
backup_dir: $PG_DIR/backups
ANS
}
