#!/usr/bin/env bash
# tests/lint/sizes.sh: files and functions stay small enough to read.
#   No .c or .h file over 600 lines in lib/, steps/, engine/, ui/, cli/
#   (STYLE.md "Shape"), and no function over 80 lines in engine/.
# A function runs from the line that starts with its name (in column 0,
# after its return type's line) to the "}" in column 0 that closes it.
# Fails naming each one as FILE:LINE.
set -u
top=${UPSHIFT_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$top" || exit 99

max_lines=600 max_func=80
bad=0 files=0

for f in lib/*.[ch] steps/*.[ch] engine/*.[ch] ui/*.[ch] cli/*.[ch]; do
	[ -e "$f" ] || continue
	files=$((files + 1))
	n=$(wc -l < "$f")
	if [ "$n" -gt "$max_lines" ]; then
		echo "$f:1: $n lines, more than $max_lines: split it into files with one job each"
		bad=$((bad + 1))
	fi
done

for f in engine/*.c; do
	[ -e "$f" ] || continue
	out=$(awk -v file="$f" -v max="$max_func" '
		/^[A-Za-z_][A-Za-z0-9_]*\(/ { name = $0; sub(/\(.*/, "", name); start = FNR; next }
		/^\{/ && start { body = 1; next }
		/^\}/ && body {
			if (FNR - start + 1 > max)
				printf "%s:%d: %s() is %d lines, more than %d: split it\n", file, start, name, FNR - start + 1, max
			body = 0; start = 0
		}
	' "$f")
	if [ -n "$out" ]; then
		echo "$out"
		bad=$((bad + $(printf '%s\n' "$out" | wc -l)))
	fi
done

if [ "$files" -eq 0 ]; then
	echo "sizes: no sources found under $top"
	exit 99
fi
if [ "$bad" -gt 0 ]; then
	echo "sizes: $bad file(s) or function(s) too long"
	exit 1
fi
echo "sizes: $files files, none over $max_lines lines; no engine/ function over $max_func lines"
exit 0
