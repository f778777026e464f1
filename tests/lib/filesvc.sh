# tests/lib/filesvc.sh: a "service" made of files, for tests of the plan
# language (sourced, bash, after common.sh). DIR/ver holds its version; it
# runs no process, so a test sees only what the plan's commands did.

# filesvc_new NAME: a fresh directory $T_DIR/NAME, version 1.0, as $dir.
filesvc_new() {
	dir=$T_DIR/$1
	mkdir -p "$dir" && echo 1.0 > "$dir/ver"
}

# filesvc_head ID: a plan's first lines, up to detect's version (which
# reads DIR/ver); the question "dir" is the directory. Target 2.0.
filesvc_head() {
	cat <<PLAN
schema: 1
id: $1
title: Files $1
target: "2.0"
ask:
  - {key: dir, text: Directory, type: dir}
detect:
  version: {run: [cat, "\${dir}/ver"], match: '(\S+)'}
PLAN
}

# filesvc_run [UPSHIFT ARGS...]: upshift run on $dir/plan.yaml with --yes,
# its answers the directory, its state in $dir/state; the output in $T_OUT
# and $dir/run.out, the exit code in $T_RC.
filesvc_run() {
	printf 'dir: %s\nbackup_dir: %s/backups\n' "$dir" "$dir" > "$dir/answers.yaml"
	run_upshift run "$dir/plan.yaml" --answers "$dir/answers.yaml" --yes \
		--state-dir "$dir/state" "$@"
	printf '%s\n' "$T_OUT" > "$dir/run.out"
}
