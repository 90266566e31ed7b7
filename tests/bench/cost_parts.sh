#!/bin/sh
# cost_parts.sh — where the file programs' time goes: probe.bpf.c built
# with -DCOST_CUT=N (the programs return at cut point N, see CUT() in
# probes/compat.bpf.h), each variant measured by probe_cost.
#   sh tests/bench/cost_parts.sh [ITERATIONS] [nodir] [CUTS...]
# Run from the source tree after `make all build/bench/probe_cost`; needs
# root.  Builds into $BUILD/cut/N (BUILD: build).  The cut points, in
# the order an unwatched file's check runs them:
#   1 at entry   12 after bpf_get_current_task_btf   2 after fd -> file
#   plain loads (6.2+):  14 the check without the directory walk
#                        13 the whole check, without the counter   0 all
#   helper reads (BPFALERT_PROBE_TYPED=0, or before 6.2): 3 f_path read
#     4 d_inode read  5 the counter  6 i_ino + bloom  7 s_dev  8 i_generation
#     9 the directory verdict lookup  10 the whole match  11 the basename
set -eu
BUILD=${BUILD:-build}
N=${1:-200000}
MODE=${2:-dir}
shift 2 2>/dev/null || shift $#
CUTS=${*:-1 2 3 4 5 6 7 8 9 10 11 0}
ARCH=$(uname -m | sed -e 's/aarch64/arm64/')
TARCH=$(echo "$ARCH" | sed -e 's/x86_64/x86/')
PKGS="libpcre2-8 json-c libconfig yaml-0.1 libcurl libmicrohttpd libbpf libelf zlib"
CFLAGS="-std=c11 -D_GNU_SOURCE -O2 -g -Iengine -Inotifiers -Iprobes -I$BUILD -I$BUILD/probes
	-DBPFALERT_HAVE_PROBES=1 $(pkg-config --cflags $PKGS)"
OBJS=$(ls "$BUILD"/engine/*.o "$BUILD"/notifiers/*.o "$BUILD"/probes/*.o |
	grep -v -e /engine/main.o -e /probes/loader.o -e .bpf.o)
LIBS="$(pkg-config --libs $PKGS) -lm"

# COST_PARTS=build or run: only that half (build outside the heavy lock).
for c in $CUTS; do
	[ "${COST_PARTS:-}" = run ] && break
	d=$BUILD/cut/$c
	mkdir -p "$d/probes"
	clang -g -O2 -target bpf -D__TARGET_ARCH_"$TARCH" -DCOST_CUT="$c" \
		-Iprobes/vmlinux/"$ARCH" -Iprobes -Wall -Werror \
		-c -o "$d/probes/probe.bpf.o" probes/probe.bpf.c
	bpftool gen skeleton "$d/probes/probe.bpf.o" > "$d/probes/probe.skel.h"
	# shellcheck disable=SC2086
	cc -I"$d/probes" $CFLAGS -c -o "$d/loader.o" probes/loader.c
	# shellcheck disable=SC2086
	cc $CFLAGS -o "$d/probe_cost" tests/bench/probe_cost.c "$d/loader.o" $OBJS $LIBS
done
for c in $CUTS; do
	[ "${COST_PARTS:-}" = build ] && break
	echo "== cut $c"
	if [ "$MODE" = nodir ]; then
		"$BUILD/cut/$c/probe_cost" "$N" nodir 2>/dev/null | grep -E '^sys_|^kernel'
	else
		"$BUILD/cut/$c/probe_cost" "$N" 2>/dev/null | grep -E '^sys_|^kernel'
	fi
done
