#!/bin/sh
# The delete trajectory of key 42 in examples/delete_demo, as `make demo` shows it.
# Run from the top of the tree after `make`.
set -e
cd "$(dirname "$0")/.."
echo "\$ HMAP_SEED=1 build/bin/mapviz-trace -m counts -k 42 -e delete -- build/examples/delete_demo"
HMAP_SEED=1 build/bin/mapviz-trace -m counts -k 42 -e delete -- build/examples/delete_demo 2>&1
