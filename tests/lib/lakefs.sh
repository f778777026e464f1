# tests/lib/lakefs.sh: a lakeFS installation made of the stand-in
# tests/standins/lakefs, for plans/lakefs.yaml (sourced, bash, after
# common.sh).
#
# lakefs_sandbox DIR VERSION lays out, under DIR:
#   bin/lakefs            the installed binary (VERSION)
#   config.yaml           the configuration, in the layout before KV
#   pg/                   the "database server": pg/lakefs.json is the
#                         database (connection string host=DIR/pg), with
#                         4 MiB of table files beside it
#   pkgs/lakeFS_V_Linux_x86_64.tar.gz   a release archive per version
#   lakefs.pid, lakefs.log              the server's pid and output
# and sets LK_DIR, LK_BIN, LK_CONFIG, LK_DB, LK_PORT.

LK_VERSIONS="0.25.0 0.30.0 0.80.2 1.0.0"

# lakefs_binary VERSION FILE: the stand-in with VERSION baked in.
lakefs_binary() {
	sed "s|@LAKEFS_VERSION@|$1|" "$UPSHIFT_SRCDIR/tests/standins/lakefs" > "$2" && chmod 0755 "$2"
}

lakefs_sandbox() {
	local v tmp
	LK_DIR=$1
	LK_BIN=$LK_DIR/bin/lakefs
	LK_CONFIG=$LK_DIR/config.yaml
	LK_DB=$LK_DIR/pg
	LK_PORT=$(free_port) || return 1
	mkdir -p "$LK_DIR/bin" "$LK_DB/base" "$LK_DIR/pkgs" || return 1
	for v in $LK_VERSIONS; do
		tmp=$(mktemp -d "$T_DIR/lkpkg.XXXXXX") || return 1
		lakefs_binary "$v" "$tmp/lakefs" || return 1
		echo "lakectl $v (stand-in)" > "$tmp/lakectl"
		tar -czf "$LK_DIR/pkgs/lakeFS_${v}_Linux_x86_64.tar.gz" -C "$tmp" lakefs lakectl || return 1
		rm -rf "$tmp"
	done
	lakefs_binary "$2" "$LK_BIN" || return 1
	cat > "$LK_CONFIG" <<CFG
---
# lakeFS configuration (stand-in sandbox)
logging:
  format: text
  level: INFO
listen_address: "127.0.0.1:$LK_PORT"

database:
  connection_string: "postgres://lakefs@/lakefs?host=$LK_DB&sslmode=disable"
  max_open_connections: 20
  connection_max_lifetime: 5m

auth:
  encrypt:
    secret_key: "stand-in secret"

blockstore:
  type: local
  local:
    path: "$LK_DIR/data"
CFG
	cat > "$LK_DB/lakefs.json" <<'DB'
{"ddl_version": 20, "cataloger": "mvcc", "kv_schema": null, "migrations": [],
 "repositories": {"example": {"branches": {"main": {"commits": ["initial", "add data"]},
                                           "dev": {"commits": ["experiment"]}}}}}
DB
	head -c 4194304 /dev/urandom > "$LK_DB/base/16384" || return 1
}

lakefs_pid() {
	local pid
	pid=$(cat "$LK_DIR/lakefs.pid" 2>/dev/null)
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then echo "$pid"; else echo 0; fi
}
lakefs_healthy() {
	python3 - "$LK_PORT" <<'PY' 2>/dev/null
import sys, urllib.request
urllib.request.urlopen("http://127.0.0.1:%s/_health" % sys.argv[1], timeout=2)
PY
}
# The version the running server reports (GET /api/v1/config/version).
lakefs_server_version() {
	python3 - "$LK_PORT" <<'PY' 2>/dev/null
import json, sys, urllib.request
r = urllib.request.urlopen("http://127.0.0.1:%s/api/v1/config/version" % sys.argv[1], timeout=2)
print(json.load(r)["version"])
PY
}
lakefs_start() {
	setsid "$LK_BIN" --config "$LK_CONFIG" run </dev/null >>"$LK_DIR/lakefs.log" 2>&1 &
	echo $! > "$LK_DIR/lakefs.pid"
	t_track "$!"
	wait_for 30 lakefs_healthy
}
lakefs_stop() {
	local pid
	pid=$(lakefs_pid)
	[ "$pid" != 0 ] || return 0
	kill "$pid" 2>/dev/null
	wait_for 10 sh -c "! kill -0 $pid 2>/dev/null"
}

# A value of the database's state, by a Python expression on s.
lakefs_db() {
	python3 -c "import json,sys; s = json.load(open(sys.argv[1])); print($1)" "$LK_DB/lakefs.json"
}

# lakefs_answers FILE VERSIONS...: answers for plans/lakefs.yaml with a
# package for each of VERSIONS.
lakefs_answers() {
	local file=$1 v
	shift
	{
		echo "package:"
		for v in "$@"; do
			echo "  $v: $LK_DIR/pkgs/lakeFS_${v}_Linux_x86_64.tar.gz"
		done
		echo "bin_dir: $LK_DIR/bin"
		echo "config: $LK_CONFIG"
		echo "port: $LK_PORT"
		echo "db_dir: $LK_DB"
		echo "kv_config_tool: $UPSHIFT_SRCDIR/contrib/lakefs-kv-config"
		echo "service_manager: pidfile"
		echo "pidfile: $LK_DIR/lakefs.pid"
		echo "log_file: $LK_DIR/lakefs.log"
		echo "backup_dir: $LK_DIR/backups"
		echo "disconnect_check_1: yes"
		echo "migrate_check_1: yes"
		echo "migrate_check_2: yes"
		echo "reconnect_check_1: yes"
	} > "$file"
}
