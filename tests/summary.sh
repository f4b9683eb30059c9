#!/bin/sh
# summary.sh LABEL LOG... — one line for `make test`'s summary: the tests counted in the
# logs of a suite (ctest's "N% tests passed, F tests failed out of T", or GoogleTest's
# "[==========] T tests ... ran", "[  PASSED  ] P", "[  SKIPPED ] S" and one
# "[  FAILED  ] Suite.Test (N ms)" per failure, summed over several binaries), or the
# lab's escape line.
label=$1
shift
awk -v label="$label" '
  /tests passed, [0-9]+ tests? failed out of/ { ctest = 1; failed += $4; total += $NF }
  /^\[==========\] [0-9]+ tests? from .* ran/ { total += $2 }
  /^\[  PASSED  \] [0-9]+ test/ { passed += $4 }
  /^\[  SKIPPED \] [0-9]+ test/ { skipped += $4 }
  /^\[  FAILED  \] [^ ]+ \([0-9]+ ms\)$/ { failed += 1 }
  /^lab-escapes: / { lab = substr($0, 14) }
  END {
    if (lab != "") { printf "%-30s %s\n", label, lab; exit }
    if (ctest) { printf "%-30s %d tests, %d failed\n", label, total, failed; exit }
    printf "%-30s %d tests: %d passed, %d skipped, %d failed\n", label, total, passed, skipped, failed
  }' "$@"
