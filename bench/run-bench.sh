#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/run-bench.sh: the benchmark's command; the program is bench/bench.py (its
# header says what it measures and takes: bench/run-bench.sh --help).
python=/usr/bin/python3
[ -x "$python" ] || python=python3
exec "$python" "$(dirname "$0")/bench.py" "$@"
