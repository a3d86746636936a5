#!/bin/sh
# plugin_collect.sh - the plugin's cost at collection on a generated
# 100,000-item suite (ITEMS=, RUNS= override). Target: under 1 s added.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
exec "${PYTHON:-/usr/bin/python3}" "$here/plugin_collect.py"
