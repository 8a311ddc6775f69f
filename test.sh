#!/usr/bin/env bash
# Runs the whole test suite: unit, store contract (SQLite and PostgreSQL), in-process cluster and
# real-process tests, and a fresh project built on the packed packages. Starts a throwaway PostgreSQL for the run and removes it afterwards, even on
# failure, and installs Chromium for the browser test if it is missing. Prints "N passed, N failed" last.
set -uo pipefail
cd "$(dirname "$0")"
results=TestResults
mkdir -p "$results"

# The jobs page is tested in headless Chromium driven by ChromeDriver (Debian packages).
if [[ ! -x /usr/bin/chromium || ! -x /usr/bin/chromedriver ]]; then
  echo "Installing chromium and chromium-driver for the browser test"
  sudo_cmd=()
  [[ $(id -u) == 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq chromium chromium-driver >/dev/null \
    || echo "could not install chromium; the browser test will fail"
fi

# The browser test checks every jobs page with axe-core, from npm at the version package-lock.json pins.
if [[ ! -f Grains.Tests/Accessibility/node_modules/axe-core/axe.min.js ]]; then
  (cd Grains.Tests/Accessibility && npm ci --no-audit --no-fund --loglevel=error) \
    || echo "could not install axe-core; the browser test will fail"
fi

pgdir=$(mktemp -d /tmp/orleansjobs-pg.XXXXXX)
cleanup() {
  bash deploy/pg.sh stop "$pgdir"
  rm -rf "$pgdir"
}
trap cleanup EXIT
if ! ORLEANSJOBS_TEST_POSTGRES=$(bash deploy/pg.sh start "$pgdir"); then
  echo "could not start PostgreSQL"
  echo "0 passed, 1 failed"
  exit 1
fi
export ORLEANSJOBS_TEST_POSTGRES
echo "PostgreSQL for this run: $ORLEANSJOBS_TEST_POSTGRES"

if ! dotnet build OrleansJobs.sln -c Release -nologo -v quiet; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

# The shipped packages, packed from this build for the test that builds a fresh consumer project on them.
packages="$pgdir/packages"
if ! dotnet pack OrleansJobs.sln -c Release --no-build -nologo -v quiet -o "$packages" -p:VersionSuffix="test.$(date +%Y%m%d%H%M%S)" >"$results/pack.log" 2>&1; then
  cat "$results/pack.log"
  echo "pack failed"
  echo "0 passed, 1 failed"
  exit 1
fi
export ORLEANSJOBS_TEST_PACKAGES="$packages"

dotnet test Grains.Tests/Grains.Tests.csproj -c Release --no-build \
  --logger "console;verbosity=normal" --results-directory "$results" 2>&1 | tee "$results/test-output.log"
status=${PIPESTATUS[0]}

# The console logger ends with "Total tests: N", "Passed: N" and, when any failed, "Failed: N".
total=$(grep -E "^Total tests: +[0-9]+" "$results/test-output.log" | tail -n 1 | grep -oE "[0-9]+")
passed=$(grep -E "^ +Passed: +[0-9]+$" "$results/test-output.log" | tail -n 1 | grep -oE "[0-9]+" || true)
failed=$(grep -E "^ +Failed: +[0-9]+$" "$results/test-output.log" | tail -n 1 | grep -oE "[0-9]+" || true)
passed=${passed:-0}
failed=${failed:-0}
if [[ -z "$total" ]]; then
  failed=$((failed + 1))
elif [[ "$status" -ne 0 && "$failed" -eq 0 ]]; then
  # The runner failed without counting a failed test (a crash or a hang): count it as one.
  failed=1
fi

# CI keeps only the tail of this output, so the failed tests are named again here with the first
# lines of their error messages, where the tail reaches them.
if [[ "$failed" -gt 0 ]]; then
  echo "Failed tests:"
  awk '/^ +Failed .+ \[[^]]*\]$/ { print; shown = 0; inmsg = 0; next }
       /^ +Error Message:/ { inmsg = 1; next }
       /^ +Stack Trace:/ { inmsg = 0; next }
       inmsg && shown < 8 { print "    " $0; shown++ }' "$results/test-output.log" | head -n 60
fi
echo "${passed} passed, ${failed} failed"
exit "$status"
