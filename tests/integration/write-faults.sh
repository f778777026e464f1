#!/usr/bin/env bash
# A write that fails with ENOSPC or EIO (fault injection), at points spread
# over a Redis upgrade: the run either goes on (a log line is lost, nothing
# else) or stops with one clear error line and exit 1; a failure during the
# backup leaves the service untouched and no partial archive; running again
# finishes the upgrade correctly.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/redis.sh"

need_fault_injection

redis_upgrade_setup
run=(run redis --plans-dir "$PLANS_DIR" --answers "$answers" --yes --state-dir "$state")

for fault in enospc eio; do
	case $fault in
	enospc) why='No space left on device' ;;
	eio) why='Input/output error' ;;
	esac
	for n in 1 3 8 20 40 70 110 160 230; do
		name="$fault at write $n"
		redis_reset "$state" || { not_ok "$name" "cannot reset the sandbox"; continue; }
		err=$(UPSHIFT_FAULT=$fault-at-write=$n "$UPSHIFT" "${run[@]}" 2>&1 >/dev/null)
		rc=$?
		if [ $rc -ne 0 ]; then
			check_eq "$name: exit 1" "$rc" 1
			check_match "$name: the error says why" "$(printf '%s\n' "$err" | grep '^upshift: error:')" "$why"
			if printf '%s' "$err" | grep -q 'cannot write backup'; then
				check_eq "$name: the archive failed, the service is untouched" \
					"$(redis_running_binary_sha)" "$old_sha"
				check_eq "$name: the archive failed, no partial archive is left" "$(redis_backups)" 0
			fi
		fi
		run_upshift "${run[@]}"
		redis_upgraded "$name, then run again" "$state" "$old_sha" "$new_sha" "$digest"
	done
done

t_done
