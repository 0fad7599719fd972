#!/bin/bash
# The check helper of the emulator harnesses (tests/bochs, tests/uefi):
#
#   check NAME COMMAND [ARGS...]
#
# runs the command, prints "PASS: NAME" or "FAIL: NAME" and counts into
# $passed / $failed, from which each harness prints its closing line
# "N passed, N failed".
passed=0
failed=0
check() {
	local name=$1
	shift
	if "$@"; then
		echo "PASS: $name"
		passed=$((passed + 1))
	else
		echo "FAIL: $name"
		failed=$((failed + 1))
	fi
}
