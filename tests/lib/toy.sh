# tests/lib/toy.sh: "toy", a tiny stateful service written for the engine's
# tests (sourced, bash, after common.sh). Not a stand-in for a product: it
# exists so that a test can see what each hop of an upgrade did.
#
# A toy release VERSION is a tar.gz holding opt/toy/ with
#   bin/toyd              the server and its tools (a shell script)
#   bin/toyctl -> toyd    a symlink: toyctl is toyd under another name
#   lib/toy.sh            sourced by toyd: holds VERSION and SCHEMA
#   lib/sub/deep/notes    a file two directories down
#   lib/extra/since       only in releases from 0.80 on (a directory that is new)
# Each release reads and writes one data schema (toy_schema VERSION), kept
# in DATA/schema:
#   toyd --version                    "toyd vVERSION"
#   toyd start DATA PIDFILE           refuses a schema it does not read; starts
#                                     the server in the background, waits for
#                                     its pidfile; the server appends
#                                     "vVERSION schema S" to DATA/served.log
#   toyctl ping PIDFILE               exit 0 while the server lives
#   toyctl migrate DATA               schema S-1 -> S (refused otherwise),
#                                     appends VERSION to DATA/migrations.log
#   toyctl schema DATA                prints the schema
#   toyctl note DATA TEXT             appends TEXT to DATA/notes.log
#   toyctl crash-once DATA            SIGKILLs its parent (upshift), once:
#                                     a crash at a chosen point of a plan
# The server stops on SIGTERM (the pidfile manager's default stop).

# toy_schema VERSION: the data schema a release reads.
toy_schema() {
	case $1 in
	0.25.0) echo 1 ;;
	0.30.0) echo 2 ;;
	0.80.2) echo 3 ;;
	1.0.0) echo 4 ;;
	*) echo 0 ;;
	esac
}

# toy_release VERSION OUT.tar.gz: build a release.
toy_release() {
	local v=$1 out=$2 d
	d=$(mktemp -d "$T_DIR/release.XXXXXX") || return 1
	mkdir -p "$d/opt/toy/bin" "$d/opt/toy/lib/sub/deep" || return 1
	cat > "$d/opt/toy/lib/toy.sh" <<EOF
VERSION=$v
SCHEMA=$(toy_schema "$v")
EOF
	cat > "$d/opt/toy/bin/toyd" <<'EOF'
#!/bin/sh
# toyd: the toy service of upshift's tests (tests/lib/toy.sh)
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/toy.sh"
cmd=$1
[ "$(basename "$0")" = toyctl ] || [ "$cmd" = --version ] || [ "$cmd" = start ] || [ "$cmd" = serve ] || {
	echo "toyd: unknown command $cmd" >&2; exit 2; }
case $cmd in
--version)
	echo "toyd v$VERSION" ;;
start)
	data=$2 pidfile=$3
	s=$(cat "$data/schema" 2>/dev/null)
	if [ "$s" != "$SCHEMA" ]; then
		echo "toyd v$VERSION reads schema $SCHEMA, the data has schema $s" >&2
		exit 1
	fi
	nohup "$here/toyd" serve "$data" "$pidfile" </dev/null >/dev/null 2>&1 &
	i=0
	while [ $i -lt 100 ]; do
		[ -s "$pidfile" ] && exit 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "toyd did not write $pidfile" >&2
	exit 1 ;;
serve)
	data=$2 pidfile=$3
	trap 'rm -f "$pidfile"; exit 0' TERM INT
	echo "v$VERSION schema $(cat "$data/schema")" >> "$data/served.log"
	echo $$ > "$pidfile.tmp" && mv "$pidfile.tmp" "$pidfile"
	while :; do
		sleep 1 &
		wait $!
	done ;;
ping)
	pid=$(cat "$2" 2>/dev/null) && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null ;;
schema)
	cat "$2/schema" ;;
note)
	echo "$3" >> "$2/notes.log" ;;
crash-once)
	# Kill the process that ran us (upshift) with SIGKILL, the first time only.
	[ -e "$2/crashed" ] && exit 0
	: > "$2/crashed"
	kill -9 "$PPID" ;;
migrate)
	data=$2
	s=$(cat "$data/schema")
	if [ "$s" != $((SCHEMA - 1)) ]; then
		echo "toyctl v$VERSION migrates schema $((SCHEMA - 1)) to $SCHEMA, the data has schema $s" >&2
		exit 1
	fi
	echo "$VERSION" >> "$data/migrations.log"
	echo "$SCHEMA" > "$data/schema.tmp" && mv "$data/schema.tmp" "$data/schema" ;;
*)
	echo "toyctl: unknown command $cmd" >&2
	exit 2 ;;
esac
EOF
	chmod 755 "$d/opt/toy/bin/toyd"
	ln -s toyd "$d/opt/toy/bin/toyctl"
	echo "notes of toy $v" > "$d/opt/toy/lib/sub/deep/notes"
	case $v in
	0.2*|0.3*) ;;
	*) mkdir -p "$d/opt/toy/lib/extra" && echo "0.80" > "$d/opt/toy/lib/extra/since" ;;
	esac
	tar -C "$d" -czf "$out" opt || return 1
	rm -rf "$d"
}

# toy_sandbox ROOT VERSION: install release VERSION under ROOT with data
# of its schema, and start it. Sets TOY_ROOT, TOY_PIDFILE.
toy_sandbox() {
	TOY_ROOT=$1
	TOY_PIDFILE=$TOY_ROOT/run/toyd.pid
	mkdir -p "$TOY_ROOT/run" "$TOY_ROOT/data" || return 1
	toy_release "$2" "$T_DIR/install-$2.tar.gz" || return 1
	tar -C "$TOY_ROOT" -xzf "$T_DIR/install-$2.tar.gz" || return 1
	toy_schema "$2" > "$TOY_ROOT/data/schema"
	seq 1 50 > "$TOY_ROOT/data/items"
}

toy_start() {
	"$TOY_ROOT/opt/toy/bin/toyd" start "$TOY_ROOT/data" "$TOY_PIDFILE" || return 1
	t_track "$(cat "$TOY_PIDFILE")"
}

TOY_PIDFILE=${TOY_PIDFILE:-/nonexistent}

# The pid of the running server, or nothing.
toy_pid() {
	local pid
	pid=$(cat "$TOY_PIDFILE" 2>/dev/null) && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

# Exit 0 while the server runs.
toy_running() {
	toy_pid >/dev/null
}

# Stop the server this test started (by its recorded pid), wait until gone.
toy_stop() {
	local pid
	pid=$(toy_pid) || return 0
	kill "$pid" 2>/dev/null
	wait_for 20 sh -c "! kill -0 $pid 2>/dev/null"
}

# The version the installed binary reports.
toy_version() {
	"$TOY_ROOT/opt/toy/bin/toyd" --version | sed 's/^toyd v//'
}

# One line per file and symlink under ROOT/opt/toy: "path sha256" or "path -> text".
toy_tree() {
	(cd "$TOY_ROOT/opt/toy" && find . \( -type f -o -type l \) | LC_ALL=C sort | while read -r f; do
		if [ -L "$f" ]; then echo "$f -> $(readlink "$f")"; else echo "$f $(sha256sum < "$f" | cut -c1-64)"; fi
	done)
}

# What release VERSION's tree looks like (toy_tree of a fresh install).
toy_release_tree() {
	local d
	d=$(mktemp -d "$T_DIR/tree.XXXXXX") || return 1
	toy_release "$1" "$d/r.tar.gz" && tar -C "$d" -xzf "$d/r.tar.gz" &&
		(TOY_ROOT=$d toy_tree)
	rm -rf "$d"
}

# toy_answers FILE ROOT PACKAGE: an answers file for the toy plan, its
# backups in $T_DIR/backups.
toy_answers() {
	printf 'root: %s\npackage: %s\nbackup_dir: %s\n' "$2" "$3" "$T_DIR/backups" > "$1"
}

# toy_hop_releases: the releases of tests/data/plans/toy-hops.yaml's hops,
# as $T_DIR/toy-VERSION.tar.gz.
TOY_HOPS="0.30.0 0.80.2 1.0.0"
toy_hop_releases() {
	local v
	for v in $TOY_HOPS; do
		toy_release "$v" "$T_DIR/toy-$v.tar.gz" || return 1
	done
}

# toy_hop_answers FILE ROOT [EXTRA LINES]: answers for toy-hops.yaml: the
# package of each hop, as a map, then the extra lines.
toy_hop_answers() {
	local f=$1 root=$2 v
	shift 2
	{
		echo "root: $root"
		echo "backup_dir: $T_DIR/backups"
		echo "package:"
		for v in $TOY_HOPS; do
			echo "  $v: $T_DIR/toy-$v.tar.gz"
		done
		printf '%s\n' "$@"
	} > "$f"
}

# The server upshift started, for cleanup (never pid 0: kill 0 is the group).
toy_track() {
	local pid
	pid=$(toy_pid) && t_track "$pid"
}

# toy_plan OUT [FROM TO]...: the toy plan (tests/data/plans/toy.yaml)
# written to OUT with each FROM text replaced, once, by TO; fails when a
# FROM is not in it (the plan changed under the test).
toy_plan() {
	python3 - "$UPSHIFT_SRCDIR/tests/data/plans/toy.yaml" "$@" <<'PY'
import sys
src, dst, pairs = sys.argv[1], sys.argv[2], sys.argv[3:]
s = open(src).read()
for a, b in zip(pairs[::2], pairs[1::2]):
    if a not in s:
        sys.exit("toy_plan: not in the plan: %r" % a)
    s = s.replace(a, b, 1)
open(dst, "w").write(s)
PY
}
