#!/bin/sh
# Mesh-overhead benchmark runner.
#
# Asks two fortio load clients, through their REST API, to run the same load
# one after the other: the meshed client against the meshed productpage, then
# the unmeshed client against the unmeshed baseline copy. Prints throughput
# and p50/p90/p99 latency side by side with the overhead in percent, then
# stops this pod's Linkerd proxy so the Job can complete.
#
# Environment (all required): MESHED_CLIENT, BASELINE_CLIENT (fortio base
# URLs), MESHED_TARGET, BASELINE_TARGET (productpage URLs), QPS, DURATION
# (seconds), CONNECTIONS, PROXY_ADMIN (this pod's proxy admin URL, or empty).
set -eu

: "${MESHED_CLIENT:?}" "${BASELINE_CLIENT:?}" "${MESHED_TARGET:?}" "${BASELINE_TARGET:?}"
: "${QPS:?}" "${DURATION:?}" "${CONNECTIONS:?}"
PROXY_ADMIN="${PROXY_ADMIN:-}"
RESULTS="${RESULTS_DIR:-/tmp}"

# The proxy answers "shutdown" when it accepts; anything else (a 404 from a
# policy without the shutdown route, a 403 from a non-local client) is
# reported, since the Job cannot complete while the proxy runs.
stop_proxy() {
  if [ -n "$PROXY_ADMIN" ]; then
    if ! answer=$(wget -q -O - --post-data '' "$PROXY_ADMIN/shutdown" 2>&1) || [ "$answer" != "shutdown" ]; then
      echo "could not stop the Linkerd proxy at $PROXY_ADMIN/shutdown (${answer:-no answer}); the Job stays Running until it is deleted" >&2
    fi
  fi
}
trap stop_proxy EXIT

wait_for() {
  tries=0
  until wget -q -O /dev/null "$1/fortio/"; do
    tries=$((tries + 1))
    if [ "$tries" -ge 60 ]; then
      echo "fortio at $1 did not answer within 5 minutes" >&2
      exit 1
    fi
    sleep 5
  done
}

# run NAME CLIENT TARGET: one fortio run, its JSON result saved as $RESULTS/NAME.json
run() {
  echo "running ${DURATION}s at ${QPS} qps over ${CONNECTIONS} connections: $3"
  wget -q -O "$RESULTS/$1.json" \
    "$2/fortio/rest/run?url=$3&qps=$QPS&t=${DURATION}s&c=$CONNECTIONS&p=50,90,99"
}

# summarize FILE: "qps p50_ms p90_ms p99_ms ok_percent" from a fortio JSON result
summarize() {
  awk '
    /^  "ActualQPS":/ { gsub(/[ ,]/, "", $2); qps = $2 }
    /^  "DurationHistogram": \{/ { inhist = 1 }
    inhist && /^  \}/ { inhist = 0 }
    inhist && /^    "Count":/ { gsub(/[ ,]/, "", $2); count = $2 }
    inhist && /"Percentile":/ { gsub(/[ ,]/, "", $2); p = $2 }
    inhist && /"Value":/ { gsub(/[ ,]/, "", $2); v[p] = $2 * 1000 }
    /^  "RetCodes": \{/ { incodes = 1; next }
    incodes && /^  \}/ { incodes = 0 }
    incodes && /"200":/ { gsub(/[ ,]/, "", $2); ok = $2 }
    END {
      if (count == "" || qps == "") { exit 1 }
      printf "%s %s %s %s %s\n", qps, v[50], v[90], v[99], (count > 0 ? 100 * ok / count : 0)
    }' "$1"
}

wait_for "$MESHED_CLIENT"
wait_for "$BASELINE_CLIENT"
run meshed "$MESHED_CLIENT" "$MESHED_TARGET"
run baseline "$BASELINE_CLIENT" "$BASELINE_TARGET"

meshed=$(summarize "$RESULTS/meshed.json")
baseline=$(summarize "$RESULTS/baseline.json")

echo "$meshed" "$baseline" | awk '
  function pct(m, b) { return (b > 0) ? sprintf("%+.1f%%", 100 * (m - b) / b) : "n/a" }
  {
    printf "%-16s %12s %12s %10s\n", "metric", "meshed", "baseline", "overhead"
    printf "%-16s %12.2f %12.2f %10s\n", "throughput qps", $1, $6, pct($1, $6)
    printf "%-16s %12.2f %12.2f %10s\n", "p50 ms", $2, $7, pct($2, $7)
    printf "%-16s %12.2f %12.2f %10s\n", "p90 ms", $3, $8, pct($3, $8)
    printf "%-16s %12.2f %12.2f %10s\n", "p99 ms", $4, $9, pct($4, $9)
    printf "%-16s %12.2f %12.2f\n", "HTTP 200 %", $5, $10
  }'
