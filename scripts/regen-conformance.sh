#!/bin/bash
# regen-conformance.sh [CASE...]
#
# Regenerates expected/ of the conformance cases in test/conformance/cases (all
# of them, or the named ones) from the real Exim autoreply transport, with
# scripts/exim-oracle.sh. Prints Exim's verdict for each delivery of each case.
#
# Needs root and Exim 4.96 (Debian exim4-daemon-light). Look at the diff before
# committing: ids and dates in N.pipe-input.eml / N.pipe-env / N.submitted change
# on every run, and a verdict that differs from the case's `about` line means the
# case does not test what it says.
#
# Environment: CASES (default test/conformance/cases), ORACLE (default
# scripts/exim-oracle.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cases=${CASES:-$here/../test/conformance/cases}
cases=$(cd "$cases" && pwd)
oracle=${ORACLE:-$here/exim-oracle.sh}

if [ $# -gt 0 ]; then
  names=("$@")
else
  names=()
  for c in "$cases"/*/; do [ -f "$c/transport" ] && names+=("$(basename "$c")"); done
fi

status=0
for name in "${names[@]}"; do
  c="$cases/$name"
  if [ ! -f "$c/transport" ]; then echo "$name: no such case" >&2; status=1; continue; fi
  tmp=$(mktemp -d)
  if bash "$oracle" "$c" "$tmp"; then
    chmod -R u+w "$c" 2>/dev/null || true
    rm -rf "$c/expected"
    mkdir "$c/expected"
    cp "$tmp"/* "$c/expected/"
    # verdicts name files of the case: keep them independent of where the project lives
    for r in "$c"/expected/*.result; do sed -i "s#$cases/#@CASE_ROOT@/#g" "$r"; done
    printf '%-45s %s\n' "$name" "$(cat "$c"/expected/*.result | tr '\n' ' ')"
  else
    echo "$name: the oracle failed; expected/ left as it was" >&2
    status=1
  fi
  rm -rf "$tmp"
done
exit $status
