#!/bin/sh
# The GDB part of `make demo`: a batch GDB session on build/examples/delete_demo
# (HMAP_SEED=1, so the output is the same every run). The extension is
# auto-loaded through the library's .debug_gdb_scripts entry.
#   1. stop at the first delete, watch key 42, run to the end of the deletes:
#      every write to 42's slot is one decoded line;
#   2. mapviz slot for 42 (deleted) and 43 (live), then the bucket 42 was in,
#      with its tombstones; the summary; print with its first 6 entries.
set -e
root=$(cd "$(dirname "$0")/.." && pwd)
prog="$root/build/examples/delete_demo"
[ -x "$prog" ] || { echo "gdb/demo.sh: $prog is missing (run make first)" >&2; exit 2; }
HMAP_SEED=1 exec gdb -nx -batch -q \
	-iex "add-auto-load-safe-path $root" \
	-ex 'set pagination off' -ex 'set confirm off' -ex 'set mapviz color off' \
	-ex 'tbreak hmap_delete' -ex 'run > /dev/null' \
	-ex 'echo \n(gdb) mapviz watch counts 42\n' -ex 'mapviz watch counts 42' \
	-ex 'break break_here' \
	-ex 'echo (gdb) continue\n' -ex 'continue' \
	-ex 'echo \n(gdb) mapviz unwatch\n' -ex 'mapviz unwatch' \
	-ex 'echo \n(gdb) mapviz slot counts 42\n' -ex 'mapviz slot counts 42' \
	-ex 'echo \n(gdb) mapviz slot counts 43\n' -ex 'mapviz slot counts 43' \
	-ex 'python n = gdb.execute("mapviz slot counts 42", to_string=True).split("bucket ")[1].split()[0]; gdb.write(f"\n(gdb) mapviz show counts --bucket {n}\n"); gdb.execute(f"mapviz show counts --bucket {n}")' \
	-ex 'echo \n(gdb) mapviz show counts --summary\n' -ex 'mapviz show counts --summary' \
	-ex 'set print elements 12' \
	-ex 'echo \n(gdb) print *counts     # set print elements 12: 6 entries\n' -ex 'print *counts' \
	-ex 'kill' \
	"$prog" 2>&1 | grep -v -e '^\[Thread debugging' -e '^Using host libthread_db' -e '^\[Inferior 1'
