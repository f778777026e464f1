#!/usr/bin/env bash
# tools/bootstrap.sh: make a fresh Debian 12 machine ready, then build.
# Installs the packages the build and the tests need (apt-get, only those
# missing), generates configure, configures out of tree in build/ and runs
# make. Sourced by tools/demo.sh and tests/check.sh; sets TOP and BUILD.
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${UPSHIFT_BUILD:-$TOP/build}

PACKAGES=(
	build-essential autoconf automake autopoint gettext pkg-config
	libncurses-dev libyaml-dev libarchive-dev libpcre2-dev libssl-dev zlib1g-dev
	libcurl4-openssl-dev	# lib/http.c: ready: http: over HTTP and HTTPS
	libcmocka-dev mandoc
	# for the tests: GNU tar with zstd, dpkg-deb, python3 (CRC check), tmux,
	# unzip (test-package checks the zips it writes)
	tar zstd dpkg python3 tmux ca-certificates unzip
	# the real servers of the plans' tests (issue 6)
	influxdb influxdb-client restic etcd-server etcd-client sqlite3
	clang libclang-rt-14-dev	# make fuzz: libFuzzer with ASan and UBSan (tests/fuzz/)
	curl	# plans/etcd.yaml reads the cluster version from /version
	procps	# pgrep: plans/kopia.yaml and plans/backy2.yaml look for their processes
	python3-yaml	# the lakefs stand-in reads lakeFS's YAML configuration
	# what the unpacked redis-tools links against
	libjemalloc2 liblzf1 libatomic1
	# what the unpacked postgresql-15 and postgresql-client-15 link against
	libpq5 libicu72 libllvm14 libxml2 libxslt1.1 libldap-2.5-0 libgssapi-krb5-2 libedit2 liblz4-1 libpam0g libuuid1 tzdata
)

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "bootstrap: installing ${missing[*]}"
	sudo=
	[ "$(id -u)" = 0 ] || sudo=sudo
	$sudo apt-get update -q
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# apt-get download needs package lists; a fresh machine may have none.
if ! ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1; then
	sudo=
	[ "$(id -u)" = 0 ] || sudo=sudo
	$sudo apt-get update -q
fi

if [ ! -x "$TOP/configure" ] || [ "$TOP/configure.ac" -nt "$TOP/configure" ] ||
   [ "$TOP/Makefile.am" -nt "$TOP/Makefile.in" ]; then
	echo "bootstrap: generating configure"
	(cd "$TOP" && autoreconf --install --force >/dev/null)
fi
mkdir -p "$BUILD"
if [ ! -f "$BUILD/Makefile" ] || [ "$TOP/configure" -nt "$BUILD/Makefile" ]; then
	echo "bootstrap: configuring in $BUILD"
	(cd "$BUILD" && "$TOP/configure" --enable-werror ${UPSHIFT_CONFIGURE_FLAGS:-} >/dev/null)
fi
echo "bootstrap: building"
make -C "$BUILD" -j"$(nproc)" >/dev/null
