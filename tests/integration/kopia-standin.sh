#!/usr/bin/env bash
# plans/kopia.yaml against the kopia stand-in (tests/standins/kopia):
#  1. a second client connected (a kopia server of another host holding a
#     session in the repository) stops the upgrade in detect: exit 3, nothing
#     changed, and the message says what to do;
#  2. a scripted run: the kopia binary 0.8.4 -> 0.17.0, the repository's
#     format 1 -> 3 through "kopia repository upgrade", the crontab's kopia
#     lines commented out meanwhile and back byte for byte after reconnect;
#  3. a run that fails in verify (a package of the wrong version), then
#     upshift rollback: the repository back at format 1 from the backup, the
#     old binary back, and the crontab back byte for byte.
# systemd does not run here: the plan's systemd item is said and skipped.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/kopia.sh"

command -v python3 >/dev/null || { echo "python3 is needed for the kopia stand-in"; exit 77; }
# The drain of "kopia repository upgrade" (35 minutes by default) in seconds.
export KOPIA_STANDIN_TIME_SCALE=0.001

sha() { sha256sum "$1" | cut -d' ' -f1; }

# --- 1. A second client connected: refused before any change -------------
kopia_sandbox "$T_DIR/k1" 0.17.0 || { echo "cannot set up the kopia sandbox"; exit 1; }
kopia_answers "$T_DIR/k1.yaml"
other=$T_DIR/k1/other.config
KOPIA_CONFIG_PATH=$other "$KOPIA_BIN" repository connect filesystem --path "$KOPIA_REPO" \
	--override-hostname backup2 --override-username ops >/dev/null 2>&1
KOPIA_CONFIG_PATH=$other "$KOPIA_BIN" server start --address 127.0.0.1:51515 \
	> "$T_DIR/server.log" 2>&1 &
server=$!
t_track "$server"
wait_for 20 sh -c "KOPIA_CONFIG_PATH='$KOPIA_CONFIG' '$KOPIA_BIN' session list | grep -q 'ops@backup2'"
check "the other client holds a session in the repository" \
	sh -c "KOPIA_CONFIG_PATH='$KOPIA_CONFIG' '$KOPIA_BIN' session list | grep -q 'ops@backup2'"
bin_before=$(sha "$KOPIA_BIN")

run_upshift run kopia --plans-dir "$PLANS_DIR" --answers "$T_DIR/k1.yaml" --yes \
	--state-dir "$T_DIR/k1/state"
echo "$T_OUT" > "$T_DIR/k1.out"
check_eq "second client: upshift exits 3 (inhibited)" "$T_RC" 3
check_match "second client: the message says another client is connected" "$T_OUT" \
	'Another kopia client is connected to the repository'
check_match "second client: the message says how to disconnect it" "$T_OUT" \
	'kopia repository disconnect on its machine.*stop its kopia server'
check_match "second client: the message names the client" "$T_OUT" 'ops@backup2'
check_eq "second client: the repository is still format 1" "$(kopia_format)" 1
check_eq "second client: the binary is the old one" "$(sha "$KOPIA_BIN")" "$bin_before"
check "second client: the crontab is untouched" cmp -s "$KOPIA_CRONTAB" "$KOPIA_DIR/crontab.orig"
check "second client: no backup was made" sh -c "! ls '$KOPIA_DIR'/backups/*.tar.* >/dev/null 2>&1"
check "second client: no disconnect started" sh -c "! grep -q 'step: disconnect' '$KOPIA_DIR/state/journal'"
kill "$server"
wait_for 20 sh -c "! kill -0 $server 2>/dev/null"
check "the other client's session is gone with its server" \
	sh -c "! KOPIA_CONFIG_PATH='$KOPIA_CONFIG' '$KOPIA_BIN' session list | grep -q ."

# --- 2. The upgrade ---------------------------------------------------------
kopia_sandbox "$T_DIR/k2" 0.17.0 || { echo "cannot set up the kopia sandbox"; exit 1; }
kopia_answers "$T_DIR/k2.yaml"
state=$T_DIR/k2/state
old_sha=$(sha "$KOPIA_BIN")
new_sha=$(sha "$KOPIA_DIR/pkg/kopia")
check_eq "before: the repository is format 1" "$(kopia_format)" 1
check_match "before: kopia status says format 1" "$(kcli repository status)" '^Format version: +1$'

run_upshift plan kopia --plans-dir "$PLANS_DIR" --answers "$T_DIR/k2.yaml"
check_eq "upshift plan reads the plan" "$T_RC" 0
check_match "upshift plan shows the point of no return" "$T_OUT" \
	'POINT OF NO RETURN: kopia v0.8 and older can no longer open the repository'
check_match "upshift plan shows the upgrade command with its owner id" "$T_OUT" \
	"repository upgrade begin --upgrade-owner-id upshift-test --io-drain-timeout 15m"
check_match "upshift plan shows the crontab lines to turn off" "$T_OUT" \
	"comment out the lines of $KOPIA_CRONTAB matching"

run_upshift run kopia --plans-dir "$PLANS_DIR" --answers "$T_DIR/k2.yaml" --yes --state-dir "$state"
echo "$T_OUT" > "$T_DIR/k2.out"
check_eq "upshift run exits 0" "$T_RC" 0
[ "$T_RC" = 0 ] || sed 's/^/#   /' "$T_DIR/k2.out" | tail -n 40

check_eq "the repository's format blob says format 3" "$(kopia_format)" 3
status=$(kcli repository status 2>&1)
check_match "kopia repository status: Format version: 3" "$status" '^Format version: +3$'
check_match "kopia repository status: epoch manager enabled" "$status" '^Epoch Manager: +enabled$'
if printf '%s\n' "$status" | grep -q '^Ongoing upgrade'; then
	not_ok "kopia repository status: no upgrade under way" "$status"
else
	ok "kopia repository status: no upgrade under way"
fi
check_match "kopia --version is the target" "$(kcli --version)" '^0\.17\.0 build:'
check_eq "the kopia binary is the new package's" "$(sha "$KOPIA_BIN")" "$new_sha"
check_eq "the old binary is kept" "$(sha "$KOPIA_BIN.upshift-old")" "$old_sha"
old_open=$(KOPIA_CONFIG_PATH=$KOPIA_CONFIG "$KOPIA_BIN.upshift-old" repository status 2>&1)
check_match "kopia 0.8.4 can no longer open the repository" "$old_open" \
	"can't handle repositories created using version 3"
check_match "the upgrade drained the clients" "$T_OUT" \
	'Successfully drained all repository clients, the lock has been fully-established now\.'
check_match "the upgrade finished" "$T_OUT" 'Repository has been successfully upgraded\.'
if printf '%s\n' "$T_OUT" | grep -q 'does not own maintenance'; then
	not_ok "the owner of maintenance is not warned"
else
	ok "the owner of maintenance is not warned"
fi
check_match "the point of no return was said" "$T_OUT" 'point of no return: kopia v0\.8 and older'
check "the upgrade owner's backup blob is gone (committed)" \
	sh -c "! ls '$KOPIA_REPO'/kopia.repository.backup.* >/dev/null 2>&1"

# The crontab: kopia lines journaled verbatim, commented out, back exactly.
check "the crontab is back byte for byte" cmp -s "$KOPIA_CRONTAB" "$KOPIA_DIR/crontab.orig"
check_eq "the crontab keeps its mode" "$(stat -c %a "$KOPIA_CRONTAB")" 600
check_match "disconnect commented out the snapshot line" "$T_OUT" \
	"commenting out in $KOPIA_CRONTAB: 0 3 \\* \\* \\* $KOPIA_BIN snapshot create"
check_eq "disconnect commented out exactly the two kopia lines" \
	"$(grep -c 'ev: fact, step: disconnect, key: disable.1.line' "$state/journal")" 2
check "the journal keeps the tab-indented line verbatim" \
	grep -qF 'value: "\t30\t4 * * 0\tkopia maintenance run --full"' "$state/journal"
check "the journal keeps the trailing blanks" grep -qF '>/dev/null 2>&1  "}' "$state/journal"
check_match "reconnect put the lines back" "$T_OUT" "reconnect: putting back in $KOPIA_CRONTAB"
check_match "systemd is said to be absent, not faked" "$T_OUT" \
	'systemd does not run on this host: nothing to disable for kopia\*'
check "no systemd unit was journaled" sh -c "! grep -q 'key: disable.0.unit' '$state/journal'"
for s in detect backup disconnect stop swap migrate verify reconnect; do
	check "journal: $s done" grep -q "ev: step_done, step: $s[,}]" "$state/journal"
done
run_upshift run kopia --plans-dir "$PLANS_DIR" --answers "$T_DIR/k2.yaml" --yes --state-dir "$state"
check_match "a second run has nothing left to do" "$T_OUT" 'nothing left to do'

# --- 3. Verify fails, then rollback ------------------------------------------
kopia_sandbox "$T_DIR/k3" 0.16.1 || { echo "cannot set up the kopia sandbox"; exit 1; }
kopia_answers "$T_DIR/k3.yaml"
state=$T_DIR/k3/state
old_sha=$(sha "$KOPIA_BIN")
# This time the upgrading client is not the maintenance owner (root@backup1).
kcli repository connect filesystem --path "$KOPIA_REPO" --override-hostname backup3 \
	--override-username root >/dev/null 2>&1
run_upshift run kopia --plans-dir "$PLANS_DIR" --answers "$T_DIR/k3.yaml" --yes --state-dir "$state"
echo "$T_OUT" > "$T_DIR/k3.out"
check_match "a client that does not own maintenance is warned" "$T_OUT" \
	'warning: This client does not own maintenance: .*kopia maintenance info'
check_match "the warning names the owner" "$(cat "$state"/log/run-*.log)" \
	'the maintenance owner is root@backup1, this client is root@backup3'
check_eq "a package of the wrong version fails verify (exit 1)" "$T_RC" 1
check_match "verify says which version answered" "$T_OUT" 'reports version 0\.16\.1 after the upgrade, expected 0\.17\.0'
check_eq "the repository was upgraded before verify" "$(kopia_format)" 3
check "meanwhile the crontab's kopia lines are commented out" \
	grep -q "^#upshift(kopia) disabled: 0 3 \\* \\* \\* $KOPIA_BIN snapshot" "$KOPIA_CRONTAB"
check "meanwhile other lines are untouched" grep -qx '15 2 \* \* \* /usr/bin/kopia-exporter --no-snapshot' "$KOPIA_CRONTAB"

run_upshift rollback kopia --plans-dir "$PLANS_DIR" --answers "$T_DIR/k3.yaml" --yes --state-dir "$state"
echo "$T_OUT" > "$T_DIR/k3-rollback.out"
check_eq "upshift rollback exits 4 (rolled back)" "$T_RC" 4
[ "$T_RC" = 4 ] || sed 's/^/#   /' "$T_DIR/k3-rollback.out" | tail -n 30
check "after the rollback the crontab is back byte for byte" cmp -s "$KOPIA_CRONTAB" "$KOPIA_DIR/crontab.orig"
check_eq "after the rollback the repository is format 1 again" "$(kopia_format)" 1
check_eq "after the rollback the old binary is back" "$(sha "$KOPIA_BIN")" "$old_sha"
check_match "after the rollback kopia 0.8.4 opens the repository" "$(kcli repository status 2>&1)" \
	'^Format version: +1$'

t_done
