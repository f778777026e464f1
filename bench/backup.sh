#!/bin/bash
# backup.sh: upshift's backup against tar | zstd and tar -czf on one tree,
# and against tar | zstd on many small files.
#
#     bench/backup.sh BUILD_DIR          (make bench runs it)
#
# BENCH_DIR: where the trees and archives go (default /var/tmp, the main
# disk: about 3 times BENCH_MIB must be free, and 1 GiB more for the small
# files). BENCH_MIB: the tree's size in MiB (default 1024). BENCH_RUNS:
# runs of each, the median counts (5). BENCH_SMALL_FILES: how many small
# files (default 100000; 0 leaves that part out). BENCH_MIB=0 leaves the
# big tree out: only the small files are timed, and the last line has
# small_files_ratio alone.
#
# bench/gen-tree writes a deterministic tree that looks like a database's
# data directory, and with --small one of small files (256 B to 4 KiB,
# 1,000 to a directory). Dropping the page cache needs root and is not
# reliable in containers, so instead each tree is read once before
# anything is timed: every run reads it from memory, the same for upshift
# and for tar. The runs alternate, A B B A (upshift first in odd runs, tar
# first in even ones), so that a machine busy with other work slows both
# alike and neither always follows the other. Before each timed
# command, untimed, the filesystem is written out (sync -f): the fsync a
# command ends with then waits for its own writes only, not for the tree
# just written or the archives just deleted (their blocks are discarded at
# the next journal commit on a filesystem mounted with discard).
#
# Timed, each from outside with the same clock:
#   upshift      bench-backup backup: archive_backup(), zstd at its default
#                level (3), threads as the library sets them, the SHA-256
#                manifest, fsync of the archive and its directory (the
#                archive's own SHA-256 is taken by verify, as the backup
#                step does), the progress followed with the total the step
#                has from its space check (bench-backup estimate, run once
#                before the timed runs, as the step's preflight runs before
#                the backup)
#   tar|zstd     tar -cf - data | zstd -T0 -3 > out, then sync out (fsync:
#                upshift makes its archive durable, so the baseline does too;
#                the time without the fsync is printed as well)
#   tar -czf     tar -czf out data, then sync out (first run only: it is in
#                no ratio and takes ten times as long as the others)
#   verify       bench-backup verify: archive_verify(), which reads the whole
#                archive back, hashes it and every member, and gives the
#                archive's own SHA-256
# The last line is
#   backup: time_ratio=R size_ratio=S verify_ratio=V small_files_ratio=F
# R = upshift / (tar|zstd + fsync), S = upshift size / tar|zstd size,
# V = verify / upshift backup, F = R on the small files; the raw figures
# (medians) are printed above it.
set -euo pipefail

build=${1:?usage: backup.sh BUILD_DIR}
bb=$build/bench/bench-backup
gen=$build/bench/gen-tree
mib=${BENCH_MIB:-1024}
runs=${BENCH_RUNS:-5}
parent=${BENCH_DIR:-/var/tmp}
small=${BENCH_SMALL_FILES:-100000}

for t in "$bb" "$gen"; do
        [ -x "$t" ] || { echo "backup.sh: $t is missing (make bench builds it)" >&2; exit 2; }
done
for t in tar zstd gzip sync; do
        command -v "$t" >/dev/null || { echo "backup.sh: $t is not installed" >&2; exit 2; }
done
need=$((mib * 3 + (small > 0 ? 1024 : 0)))
avail=$(df -Pm "$parent" | awk 'NR == 2 { print $4 }')
if [ "$avail" -lt "$need" ]; then
        echo "backup.sh: $need MiB must be free in $parent, $avail MiB are" >&2
        exit 2
fi
work=$(mktemp -d "$parent/upshift-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

now() { date +%s%N; }
# ms since $1
since() { echo $(( ($(now) - $1) / 1000000 )); }
secs() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }
median() {
        printf '%s\n' "$@" | sort -n |
                awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
# Untimed, before each timed command (see above).
settle() { sync -f "$work"; }

echo "cpus: $(nproc), $(tar --version | head -n 1), $(zstd --version)"
if [ "$mib" -gt 0 ]; then
        echo "tree: $("$gen" "$work/data" "$mib") ($mib MiB asked) in $work"
        # Warm the page cache: every timed run then reads the tree from memory.
        tar -cf - -C "$work" data > /dev/null
        read -r total est < <("$bb" estimate "$work/data")

        u_t=() z_t=() zs_t=() g_t=() v_t=()
        big_upshift() {
                settle
                t0=$(now)
                read -r u_size raw < <("$bb" backup --total "$total" "$work/data" "$work/out" u.tar.zst)
                u_t+=("$(since "$t0")")
        }
        big_tar() {
                settle
                t0=$(now)
                tar -cf - -C "$work" data | zstd -T0 -3 -q > "$work/t.tar.zst"
                z_t+=("$(since "$t0")")
                sync "$work/t.tar.zst"
                zs_t+=("$(since "$t0")")
        }
        for run in $(seq 1 "$runs"); do
                rm -rf "$work/out" "$work/t.tar.zst" "$work/t.tar.gz"

                if [ $((run % 2)) -eq 1 ]; then
                        big_upshift
                        big_tar
                else
                        big_tar
                        big_upshift
                fi

                # In no ratio, and ten times slower than the rest: once.
                if [ "$run" -eq 1 ]; then
                        settle
                        t0=$(now)
                        tar -czf "$work/t.tar.gz" -C "$work" data
                        sync "$work/t.tar.gz"
                        g_t+=("$(since "$t0")")
                        g_size=$(stat -c %s "$work/t.tar.gz")
                        rm -f "$work/t.tar.gz"
                fi

                settle
                t0=$(now)
                sum=$("$bb" verify "$work/out/u.tar.zst")
                v_t+=("$(since "$t0")")
                [ "$sum" = "$(sha256sum < "$work/out/u.tar.zst" | cut -d' ' -f1)" ] ||
                        { echo "backup.sh: verify gave $sum, not the archive's SHA-256" >&2; exit 1; }
                echo "run $run: upshift $(secs "${u_t[-1]}") s, tar|zstd $(secs "${z_t[-1]}") s" \
                     "(+fsync $(secs "${zs_t[-1]}") s), verify $(secs "${v_t[-1]}") s"
        done
        z_size=$(stat -c %s "$work/t.tar.zst")
        u=$(median "${u_t[@]}") z=$(median "${z_t[@]}") zs=$(median "${zs_t[@]}")
        g=${g_t[0]} v=$(median "${v_t[@]}")

        echo "data: $raw bytes"
        echo "upshift backup:       median $(secs "$u") s, $u_size bytes"
        echo "tar | zstd -T0 -3:    median $(secs "$z") s without fsync, $(secs "$zs") s with, $z_size bytes"
        echo "tar -czf:             $(secs "$g") s (run 1 only), $g_size bytes"
        echo "upshift verify:       median $(secs "$v") s"
        echo "upshift estimate:     $est bytes ($(ratio "$est" "$u_size") of the real size)"
        echo "time_ratio without the baseline's fsync: $(ratio "$u" "$z")"
fi
# Many small files: what each member costs.
sf=""
if [ "$small" -gt 0 ]; then
        rm -rf "$work/data" "$work/out" "$work/t.tar.zst" "$work/t.tar.gz"
        echo "small files: $("$gen" --small "$work/small" "$small")"
        tar -cf - -C "$work" small > /dev/null
        read -r stotal _ < <("$bb" estimate "$work/small")
        su_t=() sz_t=()
        small_upshift() {
                settle
                t0=$(now)
                read -r su_size _ < <("$bb" backup --total "$stotal" "$work/small" "$work/sout" \
                        u.tar.zst)
                su_t+=("$(since "$t0")")
        }
        small_tar() {
                settle
                t0=$(now)
                tar -cf - -C "$work" small | zstd -T0 -3 -q > "$work/s.tar.zst"
                sync "$work/s.tar.zst"
                sz_t+=("$(since "$t0")")
        }
        for run in $(seq 1 "$runs"); do
                rm -rf "$work/sout" "$work/s.tar.zst"
                if [ $((run % 2)) -eq 1 ]; then
                        small_upshift
                        small_tar
                else
                        small_tar
                        small_upshift
                fi
                echo "small run $run: upshift $(secs "${su_t[-1]}") s," \
                     "tar|zstd+fsync $(secs "${sz_t[-1]}") s"
        done
        su=$(median "${su_t[@]}") sz=$(median "${sz_t[@]}")
        sz_size=$(stat -c %s "$work/s.tar.zst")
        echo "small files, upshift: median $(secs "$su") s, $su_size bytes;" \
             "tar|zstd+fsync: median $(secs "$sz") s, $sz_size bytes"
        sf=" small_files_ratio=$(ratio "$su" "$sz")"
fi
if [ "$mib" -gt 0 ]; then
        echo "backup: time_ratio=$(ratio "$u" "$zs") size_ratio=$(ratio "$u_size" "$z_size")" \
             "verify_ratio=$(ratio "$v" "$u")$sf"
else
        echo "backup:$sf"
fi
