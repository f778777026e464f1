# tests/lib/kopia.sh: a Kopia sandbox for plans/kopia.yaml (sourced after
# common.sh): the kopia stand-in (tests/standins/kopia) installed as an old
# release, a filesystem repository it created (format 1), this client's
# config, a crontab with kopia lines, and the new release as a package.

KOPIA_STANDIN=$UPSHIFT_SRCDIR/tests/standins/kopia
KOPIA_OLD=0.8.4

# kopia_sandbox DIR NEW_VERSION: set up DIR; sets KOPIA_DIR, KOPIA_BIN,
# KOPIA_CONFIG, KOPIA_REPO, KOPIA_CRONTAB, KOPIA_PKG.
kopia_sandbox() {
	KOPIA_DIR=$1
	local new=$2
	KOPIA_BIN=$KOPIA_DIR/bin/kopia
	KOPIA_CONFIG=$KOPIA_DIR/config/repository.config
	KOPIA_REPO=$KOPIA_DIR/repo
	KOPIA_CRONTAB=$KOPIA_DIR/crontab
	KOPIA_PKG=$KOPIA_DIR/kopia-$new-linux-x64.tar.gz
	mkdir -p "$KOPIA_DIR/bin" "$KOPIA_DIR/pkg" "$KOPIA_DIR/backups" || return 1
	kopia_build "$KOPIA_OLD" "$KOPIA_BIN" || return 1
	kopia_build "$new" "$KOPIA_DIR/pkg/kopia" || return 1
	tar -czf "$KOPIA_PKG" -C "$KOPIA_DIR/pkg" kopia || return 1
	KOPIA_CONFIG_PATH=$KOPIA_CONFIG "$KOPIA_BIN" repository create filesystem \
		--path "$KOPIA_REPO" --override-hostname backup1 --override-username root \
		>/dev/null 2>&1 || return 1
	# Tabs, trailing blanks and a commented-out kopia line must all survive.
	printf '%s\n' \
		'# m h  dom mon dow   command' \
		'MAILTO=root' \
		"0 3 * * * $KOPIA_BIN snapshot create /home >/dev/null 2>&1  " \
		"# 0 4 * * * kopia snapshot create /etc" \
		'*/5 * * * * /usr/local/bin/other-job' \
		"	30	4 * * 0	kopia maintenance run --full" \
		'15 2 * * * /usr/bin/kopia-exporter --no-snapshot' > "$KOPIA_CRONTAB" || return 1
	chmod 0600 "$KOPIA_CRONTAB"
	cp -p "$KOPIA_CRONTAB" "$KOPIA_DIR/crontab.orig"
}

# kopia_build VERSION PATH: the stand-in as that release.
kopia_build() {
	sed "s/^VERSION = .*/VERSION = \"$1\"/" "$KOPIA_STANDIN" > "$2" && chmod 0755 "$2"
}

# kopia_answers FILE [PACKAGE]
kopia_answers() {
	cat > "$1" <<ANS
package: ${2:-$KOPIA_PKG}
kopia_bin: $KOPIA_BIN
config_file: $KOPIA_CONFIG
repo_path: $KOPIA_REPO
crontab_file: $KOPIA_CRONTAB
owner_id: upshift-test
backup_dir: $KOPIA_DIR/backups
disconnect_check_1: yes
disconnect_check_2: yes
reconnect_check_1: yes
ANS
}

# The repository's format version, from its format blob (the stand-in's state).
kopia_format() {
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["formatVersion"])' \
		"$KOPIA_REPO/kopia.repository"
}

# kopia CMD...: this client's kopia.
kcli() {
	KOPIA_CONFIG_PATH=$KOPIA_CONFIG "$KOPIA_BIN" "$@"
}
