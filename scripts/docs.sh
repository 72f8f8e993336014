#!/usr/bin/env bash
# Builds the API reference: HTML from the comments of the public headers
# (include/surreal), with Doxygen and docs/Doxyfile. Usage:
#   scripts/docs.sh [output dir]
# The output directory defaults to $SURREALCPP_DOCS_DIR, else build/docs; the
# pages go to its html/ subdirectory. Fails on any Doxygen warning (a public
# symbol without documentation, a malformed comment), after printing them all.
set -euo pipefail

if ! command -v doxygen >/dev/null 2>&1; then
  echo "docs.sh: doxygen is not installed. Install it with:" >&2
  echo "  apt-get install doxygen    (as root, or with sudo)" >&2
  exit 1
fi

# A relative output directory is relative to where the script was run from.
out=${1:-${SURREALCPP_DOCS_DIR:-}}
if [[ -n $out ]]; then
  out=$(realpath -m -- "$out")
fi
cd "$(dirname "$0")/.."
out=${out:-$PWD/build/docs}
mkdir -p "$out"

# docs/Doxyfile, then the output directory: the later setting wins. QUIET
# leaves only the warnings on stderr; WARN_AS_ERROR=FAIL_ON_WARNINGS makes
# Doxygen exit non-zero on them, and any output there fails the build too.
log="$out/doxygen-warnings.log"
status=0
{ cat docs/Doxyfile; printf 'OUTPUT_DIRECTORY = "%s"\n' "$out"; } | doxygen - 2>"$log" || status=$?
if [[ $status -ne 0 || -s $log ]]; then
  cat "$log" >&2
  warnings=$(grep -cE '(warning|error):' "$log" || true)
  echo "docs.sh: Doxygen reported ${warnings} warning(s) (exit status $status);" \
    "every public symbol in include/surreal needs a well-formed doc comment" >&2
  exit 1
fi
rm -f "$log"
echo "API reference: $out/html/index.html"
