#!/bin/sh
# test.sh - the second Quick start command: install what the tests need,
# then build and run the whole suite twice: a normal build (with the unit
# tests also under valgrind) and an AddressSanitizer + UBSan build.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
sh "$top/scripts/deps.sh" test
jobs=$(nproc)

build_and_test() {
	dir=$1
	shift
	cmake -S "$top" -B "$dir" -DTOCK_WERROR=ON "$@" >/dev/null
	cmake --build "$dir" -j"$jobs" >/dev/null
	(cd "$dir" && ctest --output-on-failure -j"$jobs")
}

echo "== sanitizer build (ASan + UBSan)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    build_and_test "$top/build-asan" -DCMAKE_BUILD_TYPE=Debug \
    -DTOCK_SANITIZE=ON -DTOCK_VALGRIND=OFF
echo "== normal build"
build_and_test "$top/build-test" -DCMAKE_BUILD_TYPE=Release
