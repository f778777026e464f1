#!/usr/bin/env bash
# tests/fresh-machine.sh: the README's promise, "two commands on a fresh
# Debian 12 machine", checked on one. Debootstraps a minbase bookworm root
# into a temporary directory (with an /etc/hosts naming localhost and the
# Debian sources this machine uses, as any installed system has), copies
# the checkout in and runs there, as root in a chroot:
#   1. DEMO_PLAIN=1 bash tools/demo.sh        (it must say Redis was upgraded)
#   2. bash tools/bootstrap.sh, then the suite's quick tests:
#      make -C build check TESTS="$(make -s -C build print-quick-tests)"
# Everything that mounts runs in a private mount namespace (unshare), so no
# mount outlives it; the root directory is removed afterwards, whatever
# happened. The mirror is the first bookworm "deb" source of this machine's
# apt configuration (or UPSHIFT_FRESH_MIRROR); the .debs in this machine's
# /var/cache/apt/archives are reused (hard links into a private cache).
# Prints "N passed, N failed" last; exits 1 when a check failed, 77 (skip)
# when not root or debootstrap cannot be had. Takes several minutes.
# UPSHIFT_FRESH_KEEP=1 keeps the root (unmounted) to look at.
set -uo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
SUITE=bookworm
WORK_PARENT=${UPSHIFT_FRESH_TMPDIR:-/var/tmp}
PASS=0
FAIL=0

say() { echo "fresh: $*"; }
ok() { PASS=$((PASS + 1)); echo "ok - $1"; }
not_ok() { FAIL=$((FAIL + 1)); echo "not ok - $1"; shift; [ $# -eq 0 ] || printf '#   %s\n' "$@"; }
skip() { say "skipped: $*"; echo "0 passed, 0 failed"; exit 77; }
finish() {
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ] && exit 0
	exit 1
}

[ "$(id -u)" = 0 ] || skip "needs root (debootstrap, chroot, mount)"
for tool in unshare chroot mount timeout; do
	command -v "$tool" >/dev/null || skip "$tool is not installed"
done
if ! command -v debootstrap >/dev/null; then
	say "installing debootstrap"
	export DEBIAN_FRONTEND=noninteractive
	timeout 600 apt-get install -y -q --no-install-recommends debootstrap ||
		{ timeout 600 apt-get update -q && timeout 600 apt-get install -y -q --no-install-recommends debootstrap; }
	command -v debootstrap >/dev/null || skip "debootstrap cannot be installed"
fi

# apt_sources: one line "URI SUITE COMPONENT..." per "deb" source of this
# machine, in the order apt reads them (sources.list, then sources.list.d:
# one-line *.list files and deb822 *.sources files).
apt_sources() {
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*; do
		[ -f "$f" ] || continue
		case "$f" in
		*.list)
			awk '$1 == "deb" {
				i = 2
				if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
				if (i + 1 > NF) next
				line = $i " " $(i + 1)
				for (j = i + 2; j <= NF && $j !~ /^#/; j++) line = line " " $j
				print line
			}' "$f" ;;
		*.sources)
			awk 'BEGIN { RS = ""; FS = "\n" }
			{
				delete v
				for (i = 1; i <= NF; i++) {
					if ($i ~ /^[ \t]*#/ || $i !~ /:/) continue
					k = tolower($i); sub(/:.*/, "", k)
					val = $i; sub(/^[^:]*:[ \t]*/, "", val)
					v[k] = val
				}
				if (tolower(v["enabled"]) == "no") next
				if ((" " v["types"] " ") !~ / deb /) next
				nu = split(v["uris"], uris, /[ \t]+/)
				ns = split(v["suites"], suites, /[ \t]+/)
				for (u = 1; u <= nu; u++)
					for (s = 1; s <= ns; s++)
						if (uris[u] != "" && suites[s] != "")
							print uris[u] " " suites[s] " " v["components"]
			}' "$f" ;;
		esac
	done
}

sources=$(apt_sources)
mirror=${UPSHIFT_FRESH_MIRROR:-$(awk -v s="$SUITE" '$2 == s { print $1; exit }' <<<"$sources")}
# The chroot gets the Debian suites this machine uses (bookworm, -updates,
# -security), as an installed Debian 12 has them: the demo's new Redis
# package comes from bookworm-security.
chroot_sources=$(awk -v s="$SUITE" '($2 == s || $2 == s "-updates" || $2 == s "-security") && / main( |$)/ {
	l = "deb " $1 " " $2 " main"; if (!(l in seen)) { seen[l] = 1; print l } }' <<<"$sources")
[ -n "$chroot_sources" ] || chroot_sources="deb $mirror $SUITE main"

if [ -z "$mirror" ]; then
	say "no \"deb\" source for $SUITE in /etc/apt/sources.list or /etc/apt/sources.list.d (set UPSHIFT_FRESH_MIRROR)"
	not_ok "DEMO_PLAIN=1 bash tools/demo.sh upgrades Redis" "not run: no mirror"
	not_ok "the quick tests pass" "not run: no mirror"
	finish
fi

WORK=$(mktemp -d "$WORK_PARENT/upshift-fresh.XXXXXX") || { say "cannot create a directory in $WORK_PARENT"; exit 1; }
R=$WORK/root

# root_pids: the processes whose root directory is the chroot (left behind
# by a command that was cut short). Bounded by the size of /proc.
root_pids() {
	local p root
	for p in /proc/[0-9]*; do
		root=$(readlink "$p/root" 2>/dev/null) || continue
		case "$root" in "$R"|"$R"/*) echo "${p#/proc/}" ;; esac
	done
}

stop_leftovers() {
	local pids try
	pids=$(root_pids)
	[ -n "$pids" ] || return 0
	say "stopping processes left in the root: $(echo $pids)"
	kill $pids 2>/dev/null
	for try in $(seq 1 50); do
		pids=$(root_pids)
		[ -n "$pids" ] || return 0
		sleep 0.1
	done
	kill -9 $pids 2>/dev/null
	sleep 0.5
}

cleanup() {
	stop_leftovers
	# The mounts live in private namespaces that are gone by now; should one
	# be visible here all the same, detach it rather than delete through it.
	local m
	for m in $(awk -v w="$WORK/" 'index($5, w) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
		say "detaching $m"
		umount -l "$m"
	done
	if [ "${UPSHIFT_FRESH_KEEP:-0}" = 1 ]; then
		say "kept $WORK"
		return
	fi
	rm -rf --one-file-system "$WORK" || say "could not remove all of $WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A private cache of this machine's .debs: debootstrap validates and may
# delete a cached file, and apt in the chroot owns its own cache.
mkdir -p "$WORK/cache"
if ls /var/cache/apt/archives/*.deb >/dev/null 2>&1; then
	cp -l /var/cache/apt/archives/*.deb "$WORK/cache/" 2>/dev/null ||
		say "cannot link this machine's .debs (another file system?): downloading everything"
fi

# in_ns SECONDS COMMAND...: run COMMAND in a private mount namespace, for at
# most SECONDS.
in_ns() {
	local secs=$1
	shift
	timeout -k 30 "$secs" unshare --mount --propagation private -- "$@"
}

# in_root SECONDS SCRIPT: run SCRIPT with bash as root in the chroot, with
# /proc, /dev, /dev/pts and /sys mounted for its duration, in a clean
# environment (no terminal: DEMO_PLAIN=1).
in_root() {
	local secs=$1 script=$2 env
	env=(HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
	     TERM=dumb DEMO_PLAIN=1 UPSHIFT_SKIP_FRESH=1)
	for v in http_proxy https_proxy no_proxy; do
		[ -z "${!v:-}" ] || env+=("$v=${!v}")
	done
	in_ns "$secs" bash -c '
		R=$1; shift
		mount -t proc proc "$R/proc" &&
		mount --rbind /dev "$R/dev" &&
		{ mountpoint -q "$R/dev/pts" || mount --bind /dev/pts "$R/dev/pts"; } &&
		mount -t sysfs sysfs "$R/sys" || { echo "fresh: cannot mount in $R"; exit 1; }
		exec chroot "$R" /usr/bin/env -i "$@"' _ "$R" "${env[@]}" /bin/bash -c "$script" </dev/null
	local rc=$?
	stop_leftovers
	return $rc
}

# Two stages, so that dpkg in the root skips its fsync per file from the
# start (force-unsafe-io, as in CI's containers): saves about a minute.
start=$SECONDS
say "debootstrap --variant=minbase $SUITE $R $mirror"
if ! in_ns 1200 debootstrap --foreign --variant=minbase --cache-dir="$WORK/cache" "$SUITE" "$R" "$mirror" ||
   ! mkdir -p "$R/etc/dpkg/dpkg.cfg.d" ||
   ! echo force-unsafe-io > "$R/etc/dpkg/dpkg.cfg.d/upshift-fresh-unsafe-io" ||
   ! in_ns 1200 chroot "$R" /debootstrap/debootstrap --second-stage; then
	say "debootstrap failed$( [ -f "$R/debootstrap/debootstrap.log" ] && echo ": $(tail -n 5 "$R/debootstrap/debootstrap.log")")"
	not_ok "DEMO_PLAIN=1 bash tools/demo.sh upgrades Redis" "not run: debootstrap failed"
	not_ok "the quick tests pass" "not run: debootstrap failed"
	finish
fi
say "root made in $((SECONDS - start)) s"

# What an installed system has and minbase lacks: hosts naming localhost,
# the Debian sources; and, as in CI's containers, no service starting from a
# package's postinst, so no daemon outlives the chroot.
hostname=$(cat "$R/etc/hostname" 2>/dev/null || hostname)
printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' \
	"$hostname" > "$R/etc/hosts"
printf '%s\n' "$chroot_sources" > "$R/etc/apt/sources.list"
printf '#!/bin/sh\nexit 101\n' > "$R/usr/sbin/policy-rc.d"
chmod 755 "$R/usr/sbin/policy-rc.d"
ln "$WORK"/cache/*.deb "$R/var/cache/apt/archives/" 2>/dev/null

# The checkout, as a clone has it: tracked and new files, not what the
# .gitignore leaves out (build directories, generated files).
mkdir -p "$R/root/upshift"
if git -C "$TOP" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	(cd "$TOP" && git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
		tar --null -T - -cf -) | tar -C "$R/root/upshift" -xf -
else
	tar -C "$TOP" --exclude=./build --exclude=./build-faults --exclude=./autom4te.cache -cf - . |
		tar -C "$R/root/upshift" -xf -
fi || { not_ok "the checkout is copied into the root"; finish; }

say "running the demo (installs what it needs, builds, upgrades Redis)"
start=$SECONDS
in_root 1800 'cd /root/upshift && DEMO_PLAIN=1 bash tools/demo.sh' 2>&1 | tee "$WORK/demo.out"
rc=${PIPESTATUS[0]}
say "the demo exited $rc after $((SECONDS - start)) s"
if [ "$rc" = 0 ] && grep -q '^Redis upgraded: ' "$WORK/demo.out"; then
	ok "DEMO_PLAIN=1 bash tools/demo.sh upgrades Redis"
else
	not_ok "DEMO_PLAIN=1 bash tools/demo.sh upgrades Redis" "exit code $rc" \
		"$(grep -m 1 '^Redis upgraded: ' "$WORK/demo.out" || echo 'no "Redis upgraded:" line')"
fi

say "running the quick tests"
start=$SECONDS
in_root 1800 'cd /root/upshift && bash tools/bootstrap.sh &&
	{ make -C build check TESTS="$(make -s -C build print-quick-tests)" ||
	  { cat build/test-suite.log; exit 1; }; }' 2>&1
rc=$?
say "the quick tests exited $rc after $((SECONDS - start)) s"
if [ "$rc" = 0 ]; then
	ok "the quick tests pass"
else
	not_ok "the quick tests pass" "exit code $rc"
fi
finish
