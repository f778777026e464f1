# tests/lib/kwdb.sh: a KWDB installation made of the stand-ins in
# tests/standins/ (kwbase, kwdb-deploy.sh), for plans/kwdb.yaml (sourced,
# bash, after common.sh).
#
# Layout under KW_ROOT (the product's absolute paths, moved under a root):
#   etc/systemd/system/kaiwudb.service   the unit (deploy.sh's install check)
#   etc/kaiwudb/info/MODE, .version      what deploy.sh install writes
#   etc/kaiwudb/script/kaiwudb_env       KAIWUDB_START_ARG
#   usr/local/kaiwudb/bin/kwbase         the installed binary
#   var/lib/kaiwudb                      the store (data directory)
#   run/kaiwudb.mainpid                  systemd's MainPID, kept by deploy.sh
# Packages: KW_PKGS/VERSION/ is an unpacked installation package (deploy.sh,
# packages/.version, packages/kaiwudb-{libcommon,server}_VERSION_amd64.tar).

KW_STANDINS=$UPSHIFT_SRCDIR/tests/standins

# kwdb_package VERSION: build KW_PKGS/VERSION, the unpacked package.
kwdb_package() {
	local v=$1 dir=$KW_PKGS/$1 tree
	tree=$(mktemp -d "$T_DIR/kwpkg.XXXXXX") || return 1
	mkdir -p "$dir/packages" "$tree/usr/local/kaiwudb/bin" "$tree/usr/local/kaiwudb/lib" || return 1
	sed "s|@KW_VERSION@|$v|" "$KW_STANDINS/kwbase" > "$tree/usr/local/kaiwudb/bin/kwbase" || return 1
	chmod 0755 "$tree/usr/local/kaiwudb/bin/kwbase"
	echo "libcommon $v (stand-in)" > "$tree/usr/local/kaiwudb/lib/libcommon.txt"
	tar -cf "$dir/packages/kaiwudb-server_${v}_amd64.tar" -C "$tree" usr/local/kaiwudb/bin || return 1
	tar -cf "$dir/packages/kaiwudb-libcommon_${v}_amd64.tar" -C "$tree" usr/local/kaiwudb/lib || return 1
	printf '%s\n\n' "$v" > "$dir/packages/.version"
	sed "s|@KW_ROOT@|$KW_ROOT|" "$KW_STANDINS/kwdb-deploy.sh" > "$dir/deploy.sh" || return 1
	chmod 0755 "$dir/deploy.sh"
	rm -rf "$tree"
}

# kwdb_install ROOT MODE VERSION: what "deploy.sh install" leaves behind,
# for MODE single, single-replication or multi-replication, with the node
# on a free port and 4 MiB of data in its store. Sets KW_ROOT, KW_PORT,
# KW_PKGS, KW_BIN, KW_DATA.
kwdb_install() {
	local mode=$2 v=$3 start
	KW_ROOT=$1
	KW_PKGS=$T_DIR/kwpkgs
	KW_PORT=$(free_port) || return 1
	KW_BIN=$KW_ROOT/usr/local/kaiwudb/bin/kwbase
	KW_DATA=$KW_ROOT/var/lib/kaiwudb
	mkdir -p "$KW_ROOT/etc/kaiwudb/info" "$KW_ROOT/etc/kaiwudb/script" \
		"$KW_ROOT/etc/systemd/system" "$KW_ROOT/run" "$KW_DATA" "$KW_PKGS" || return 1
	kwdb_package "$v" || return 1
	for p in "$KW_PKGS/$v"/packages/*.tar; do
		tar -xf "$p" -C "$KW_ROOT" || return 1
	done
	cp "$KW_PKGS/$v/packages/.version" "$KW_ROOT/etc/kaiwudb/info/.version"
	printf 'bare\n%s\n%s\n%s\n%s\n%s\n%s\n%s\n%s\n' "$mode" "$KW_ROOT/usr/local/kaiwudb" \
		"$KW_DATA" "$KW_PORT" 8080 kaiwudb insecure 127.0.0.1 \
		> "$KW_ROOT/etc/kaiwudb/info/MODE"
	echo 'KAIWUDB_START_ARG=""' > "$KW_ROOT/etc/kaiwudb/script/kaiwudb_env"
	if [ "$mode" = single ]; then
		start="start-single-node"
	else
		start="start --join=127.0.0.1:$KW_PORT,127.0.0.2:$KW_PORT,127.0.0.3:$KW_PORT"
	fi
	cat > "$KW_ROOT/etc/systemd/system/kaiwudb.service" <<UNIT
[Unit]
Description=KaiwuDB Service (stand-in)
[Service]
EnvironmentFile=$KW_ROOT/etc/kaiwudb/script/kaiwudb_env
ExecStart=$KW_BIN $start --insecure --listen-addr=127.0.0.1:$KW_PORT --http-addr=127.0.0.1:0 --store=$KW_DATA \$KAIWUDB_START_ARG
UNIT
	head -c 4194304 /dev/urandom > "$KW_DATA/000001.sst" || return 1
	echo '{"nodes": [], "jobs": []}' > "$KW_DATA/standin-cluster.json"
}

# kwdb_cluster JSON: the rest of the cluster, as the node sees it.
kwdb_cluster() {
	printf '%s\n' "$1" > "$KW_DATA/standin-cluster.json"
}

# The node's MainPID (0 when stopped), and its build as it reports it.
kwdb_pid() {
	local pid
	pid=$(cat "$KW_ROOT/run/kaiwudb.mainpid" 2>/dev/null)
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then echo "$pid"; else echo 0; fi
}
kwdb_start() {
	"$KW_PKGS/$1/deploy.sh" start >/dev/null || return 1
	t_track "$(kwdb_pid)"
}
kwdb_node_build() {
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["build"])' \
		"$KW_DATA/standin-node.json"
}

# kwdb_answers FILE PACKAGE_VERSION [extra lines]: answers for plans/kwdb.yaml.
kwdb_answers() {
	local file=$1 v=$2
	shift 2
	{
		echo "package_dir: $KW_PKGS/$v"
		echo "info_dir: $KW_ROOT/etc/kaiwudb/info"
		echo "kwbase: $KW_BIN"
		echo "port: $KW_PORT"
		echo "data_dir: $KW_DATA"
		echo "node_addr: 127.0.0.1"
		echo "backup_dir: $T_DIR/backups-${KW_ROOT##*/}"
		echo "disconnect_check_1: yes"
		for l in "$@"; do echo "$l"; done
	} > "$file"
}
