#!/usr/bin/env bash
# Runs every test project and ends with one line: tests: N passed, M failed, K skipped.
# As root it first installs the Debian packages the tests need.
set -uo pipefail
cd "$(dirname "$0")"

if [ "$(id -u)" = 0 ]; then
  need=()
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need+=(postgresql)
  command -v mosquitto_pub >/dev/null || need+=(mosquitto-clients)
  command -v haproxy >/dev/null || need+=(haproxy)
  # The external-broker tests run a real Mosquitto broker.
  [ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
  # PDF tests read the text of generated PDFs with pdftotext.
  command -v pdftotext >/dev/null || need+=(poppler-utils)
  # The browser tests drive Debian's Chromium through Playwright (no downloaded browsers).
  [ -x /usr/bin/chromium ] || need+=(chromium)
  if [ ${#need[@]} -gt 0 ]; then
    echo "Installing ${need[*]} ..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  fi
fi

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
broken=0
# Release: the suite is CPU-bound on a 2-core box, and optimised code (NLU, forecasting, sealing) runs it faster.
for project in tests/*/*.csproj; do
  name=$(basename "$project" .csproj)
  echo "== $name"
  if ! dotnet test "$project" -c Release --nologo --logger "trx;LogFileName=$name.trx" --results-directory "$results"; then
    # A failing test already shows in the counts; a project that did not build or run does not.
    [ -f "$results/$name.trx" ] || { echo "$name did not run (build or host failure)"; broken=$((broken + 1)); }
  fi
done

count() { cat "$results"/*.trx 2>/dev/null | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*' | awk '{ s += $1 } END { print s + 0 }'; }
passed=$(count passed); failed=$(count failed); skipped=$(count notExecuted)
passed=${passed:-0}; failed=$(( ${failed:-0} + broken )); skipped=${skipped:-0}
echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
