#!/usr/bin/env bash
# version_scheme: debian with a real Debian revision: Redis from redis-tools
# 5:7.0.15-1~deb12u7 to the security update ~deb12u10, the installed version
# read, epoch and revision included, from the package's changelog.Debian.gz
# (which the swap replaces too). A migration for targets ">7.0.15" runs only
# in dpkg's ordering (in the semantic one 7.0.15-1~... is a pre-release of
# 7.0.15) and writes ${package_version}; the report names the revisions.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/redis.sh"

port=$(free_port) || { echo "no free port"; exit 1; }
redis_sandbox "$T_DIR/redis" "$port" || { echo "cannot set up the Redis sandbox"; exit 1; }
redis_start || { echo "redis did not start"; exit 1; }
rcli SET k v >/dev/null

doc=$REDIS_DIR/root/usr/share/doc/redis-tools
new_doc=$REDIS_DIR/new/usr/share/doc/redis-tools
marker=$T_DIR/migrated
old=${REDIS_OLD_VERSION} new=${REDIS_NEW_VERSION}

# plans/redis.yaml, with the Debian version read from the changelog.
plan=$T_DIR/redis-deb.yaml
sed -e "s/^target: 7.0.15$/version_scheme: debian\ntarget: \"$new\"/" \
    -e '/^ask:$/a\  - {key: doc_dir, text: redis-tools documentation directory, type: dir}\n  - {key: marker, text: File the migration writes}' \
    -e '/^  version:$/,/^    match:/d' \
    -e "s/^detect:$/detect:\n  version:\n    run: [sh, -c, 'gzip -dc \"\$1\" | head -n 1', sh, \"\${doc_dir}\/changelog.Debian.gz\"]\n    match: '\\\\(([^)]+)\\\\)'/" \
    -e 's|^    usr/bin/redis-cli: .*|&\n    usr/share/doc/redis-tools/changelog.Debian.gz: "${doc_dir}/changelog.Debian.gz"|' \
    -e "s/^migrate: \[\]$/migrate:\n  - when: {target: '>7.0.15'}\n    run:\n      - [sh, -c, 'echo \"\$1\" > \"\$2\"', sh, \"\${package_version}\", \"\${marker}\"]/" \
    "$PLANS_DIR/redis.yaml" > "$plan"
check_match "the test's plan is plans/redis.yaml with a Debian scheme" "$(cat "$plan")" '^version_scheme: debian$'

answers=$T_DIR/answers.yaml
redis_answers "$answers"
printf 'doc_dir: %s\nmarker: %s\n' "$doc" "$marker" >> "$answers"
state=$T_DIR/state

run_upshift plan "$plan" --answers "$answers"
check_eq "upshift plan loads it" "$T_RC" 0
check_match "upshift plan says how versions are ordered" "$T_OUT" '^Versions ordered as dpkg orders them \(version_scheme: debian\)$'
[ "$T_RC" = 0 ] || printf '%s\n' "$T_OUT" | sed 's/^/#   /' | head -n 5

run_upshift run "$plan" --answers "$answers" --yes --state-dir "$state"
printf '%s\n' "$T_OUT" > "$T_DIR/run.out"
check_eq "upshift run exits 0" "$T_RC" 0
[ "$T_RC" = 0 ] || sed 's/^/#   /' "$T_DIR/run.out" | tail -n 30
t_track "$(redis_pid)"

check_match "detect read the installed Debian version" "$T_OUT" "installed version: ${old//./\\.}"
check_match "the report names both Debian versions and the package" "$T_OUT" \
	"upgraded: ${old//./\\.} -> ${new//./\\.} \\(package ${new//./\\.}\\)"
check_match "the report says only the revision changed" "$T_OUT" '^  revision: deb12u7 -> deb12u10$'
check_eq "the migration for targets >7.0.15 ran, with \${package_version}" "$(cat "$marker" 2>/dev/null)" "$new"
check "the changelog is the new package's" cmp -s "$doc/changelog.Debian.gz" "$new_doc/changelog.Debian.gz"
check "redis-check-rdb is the new package's" cmp -s "$REDIS_BIN/redis-check-rdb" "$REDIS_DIR/new/usr/bin/redis-check-rdb"
check_eq "the data is there" "$(rcli GET k)" v

redis_stop
t_done
