#!/usr/bin/env bash
# tests/lint/layers.sh: the layers use only those below them.
#   lib/ (0) -> steps/ (1) -> engine/ (2) -> ui/ (3) -> cli/ (4)
# Every quoted include names its folder ("lib/util.h"); a file may include
# a header of its own layer or of a layer below it, never one above. Fails
# naming each wrong-way or bare include as FILE:LINE.
set -u
top=${UPSHIFT_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$top" || exit 99

rank() {
	case $1 in
	lib) echo 0 ;; steps) echo 1 ;; engine) echo 2 ;; ui) echo 3 ;; cli) echo 4 ;;
	*) echo -1 ;;
	esac
}

bad=0 files=0 arrows=0
for layer in lib steps engine ui cli; do
	own=$(rank "$layer")
	for f in "$layer"/*.[ch]; do
		[ -e "$f" ] || continue
		files=$((files + 1))
		while IFS=: read -r line inc; do
			inc=${inc#*\"}; inc=${inc%%\"*}
			dir=${inc%%/*}
			if [ "$dir" = "$inc" ]; then
				echo "$f:$line: include \"$inc\" does not name its folder (write \"lib/$inc\", \"engine/$inc\", ...)"
				bad=$((bad + 1)); continue
			fi
			r=$(rank "$dir")
			if [ "$r" -lt 0 ]; then
				echo "$f:$line: include \"$inc\" is in no layer"
				bad=$((bad + 1))
			elif [ "$r" -gt "$own" ]; then
				echo "$f:$line: $layer/ includes \"$inc\", a layer above it ($dir/)"
				bad=$((bad + 1))
			else
				arrows=$((arrows + 1))
			fi
		done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f")
	done
done
[ "$files" -gt 0 ] || { echo "layers: no source files found under $top"; exit 1; }
echo "layers: $files files, $arrows includes downward or level, $bad wrong"
[ "$bad" -eq 0 ]
