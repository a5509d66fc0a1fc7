#!/usr/bin/env bash
# Load run for BENCH.md (by hand, never in CI). Needs PostgreSQL (PG_URL, trust auth), pgbench,
# curl and jq. Builds release binaries, then in one run measures, on PostgreSQL and on SQLite:
#   1. withdrawal creations/s (POST /accounts/{id}/withdraw), all clients on one account and
#      spread over one account per client                     vs  pgbench -N -c $C TPS
#      and with $C2 clients (vs pgbench -N -c $C2), and confirmations/s of the withdrawals just
#      created (each confirmed once)
#   2. GET /users/me/accounts/{id} req/s                      vs  a minimal axum hello-world,
#      then latency at half the measured peak rate (open loop), and hello-world's at that rate
# Every measured run also reports the CPU time per operation (user + sys, in µs) of the server,
# of PostgreSQL (its live backends plus those it reaped) and of the load generator, so a run on a
# CPU-bound machine says where the time went. PIN=0-1 pins the server, the load generator, pgbench
# and every PostgreSQL process to those cores (taskset), as on a busy machine.
# Reproduce: PG_URL=postgres://postgres@127.0.0.1:5432 SECS=15 [PIN=0-1] [NOBUILD=1] ./bench/run.sh
set -euo pipefail
PG=${PG_URL:-postgres://postgres@127.0.0.1:5432}
SECS=${SECS:-15}
C=${C:-8}
C2=${C2:-32}
TARGET=${CARGO_TARGET_DIR:-target}
cd "$(dirname "$0")/.."
[ -n "${NOBUILD:-}" ] || cargo build --release -q -p payplane -p payplane-bench  # NOBUILD=1: use the built binaries
BIN=$TARGET/release
PIN=${PIN:-}
PINCMD=()
[ -z "$PIN" ] || PINCMD=(taskset -c "$PIN")
if [ -n "$PIN" ]; then
  for p in $(pgrep -x postgres); do taskset -a -c -p "$PIN" "$p" >/dev/null; done
fi

# CPU ticks (1/100 s, user + sys) of a process with all its threads; 0 once it is gone.
ticks() { awk '{sub(/.*\) /, ""); print $12 + $13}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# PostgreSQL's: every live process, plus the exited backends the postmaster has reaped.
pg_ticks() {
  local pm t
  pm=$(pgrep -o -x postgres)
  t=$(awk '{sub(/.*\) /, ""); print $14 + $15}' "/proc/$pm/stat")
  for p in $(pgrep -x postgres); do t=$((t + $(ticks "$p"))); done
  echo "$t"
}
# Runs the load generator and adds to its JSON line the CPU µs per successful request of the
# server (or of CPU_PID), of PostgreSQL (0 on SQLite) and of the load generator itself.
loadgen() {
  local s0 p0 out s1 p1 lg
  s0=$(ticks "${CPU_PID:-$SERVER}"); p0=$(pg_ticks)
  out=$( { /usr/bin/time -f '%U %S' -o "$WORK/lg.time" "${PINCMD[@]}" $BIN/loadgen "$@"; } )
  s1=$(ticks "${CPU_PID:-$SERVER}"); p1=$(pg_ticks)
  lg=$(awk '{print ($1 + $2) * 100}' "$WORK/lg.time")
  jq -c --argjson s $((s1 - s0)) --argjson p $((p1 - p0)) --argjson l "$lg" \
    'def per($t): if .ok > 0 then ($t * 10000 / .ok | round) else null end;
     . + {serverCpuUsPerOp: per($s), pgCpuUsPerOp: per($p), loadgenCpuUsPerOp: per($l)}' <<<"$out"
}
# pgbench with the CPU µs per transaction of PostgreSQL and of pgbench itself.
bench_pg() {
  local p0 p1 out
  p0=$(pg_ticks)
  out=$(/usr/bin/time -f 'pgbench client cpu %U %S' -o "$WORK/pgb.time" "${PINCMD[@]}" pgbench "$@" 2>/dev/null)
  p1=$(pg_ticks)
  grep -E '^(tps|latency average|number of transactions actually)' <<<"$out"
  local n
  n=$(awk '/number of transactions actually processed/ {split($0, a, ": "); split(a[2], b, "/"); print b[1]}' <<<"$out")
  awk -v n="$n" -v p=$((p1 - p0)) '{printf "cpu µs per transaction: postgres %d, pgbench client %d\n", p * 10000 / n, ($4 + $5) * 1000000 / n}' "$WORK/pgb.time"
}
WORK=$(mktemp -d)
B=http://127.0.0.1:18180

"${PINCMD[@]}" $BIN/hello 127.0.0.1:18190 &
HELLO=$!
SERVER=
trap 'kill $HELLO $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT

# A user with a test token and a funded IDR account; prints "TOKEN ACCOUNT".
funded_user() {
  local n=$1 uid token acc
  uid=$($BIN/payplane admin user create --email "bench$n@example.com" --name "Bench $n" | jq -r .id)
  token=$($BIN/payplane admin token create --user "$uid" --mode test | jq -r .token)
  echo "$token"
}

measure() {
  local label=$1
  echo "## $label"
  $BIN/payplane migrate >/dev/null
  local tokens=() accounts=()
  for n in $(seq 1 "$C"); do tokens+=("$(funded_user "$n")"); done
  PAYPLANE_LOG=warn "${PINCMD[@]}" $BIN/payplane serve >"$WORK/server.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 100); do curl -sf $B/ping >/dev/null && break; sleep 0.1; done
  : >"$WORK/targets"
  for t in "${tokens[@]}"; do
    local acc
    acc=$(curl -sf -H "Authorization: Bearer $t" -H 'Content-Type: application/json' -d '{"currencyId":"IDR"}' $B/users/me/accounts | jq -r .id)
    curl -sf -H "Authorization: Bearer $t" -H 'Content-Type: application/json' -d '{"amount": 10000000000}' \
      $B/sandbox/accounts/$acc/deposit >/dev/null
    accounts+=("$acc")
    printf '%s\tAuthorization: Bearer %s\n' "$B/accounts/$acc/withdraw" "$t" >>"$WORK/targets"
  done
  local body='{"prefix":"bca","address":"1234567890","addressName":"Bench","amount":1}'
  echo "# withdrawal creations, $C clients on ONE account (${SECS}s)"
  loadgen --label withdraw_one_account --method POST --url "$B/accounts/${accounts[0]}/withdraw" \
    --header "Authorization: Bearer ${tokens[0]}" --body "$body" --concurrency "$C" --seconds "$SECS"
  echo "# withdrawal creations, $C clients on $C accounts (${SECS}s)"
  loadgen --label withdraw_many_accounts --method POST --targets "$WORK/targets" --body "$body" \
    --concurrency "$C" --seconds "$SECS"
  echo "# withdrawal creations, $C2 clients on $C accounts (${SECS}s): batches grow with concurrency"
  loadgen --label withdraw_many_clients --method POST --targets "$WORK/targets" --body "$body" \
    --concurrency "$C2" --seconds "$SECS"
  echo "# GET account (concurrency 32, ${SECS}s)"
  local peak
  peak=$(loadgen --label get_account --url "$B/users/me/accounts/${accounts[0]}" \
    --header "Authorization: Bearer ${tokens[0]}" --concurrency 32 --seconds "$SECS")
  echo "$peak"
  peak=$(jq .okPerSec <<<"$peak")
  echo "# GET account at half the peak rate, open loop (${SECS}s)"
  loadgen --label get_account_half_peak --url "$B/users/me/accounts/${accounts[0]}" \
    --header "Authorization: Bearer ${tokens[0]}" --concurrency 64 --seconds "$SECS" \
    --rate "$((${peak%.*} / 2))"
  echo "# axum hello-world at the same open-loop rate: the machine's own tail at that load (${SECS}s)"
  CPU_PID=$HELLO loadgen --label axum_hello_same_rate --url "http://127.0.0.1:18190/" --concurrency 64 --seconds "$SECS" \
    --rate "$((${peak%.*} / 2))"
  echo "# axum hello-world (concurrency 32, ${SECS}s)"
  CPU_PID=$HELLO loadgen --label axum_hello --url "http://127.0.0.1:18190/" --concurrency 32 --seconds "$SECS"
  echo "# withdrawal confirmations (last: the payouts they start keep the worker busy afterwards), $C clients, each pending withdrawal confirmed once (${SECS}s)"
  : >"$WORK/confirms"
  for i in "${!accounts[@]}"; do
    for page in $(seq 1 20); do
      curl -sf -H "Authorization: Bearer ${tokens[$i]}" \
        "$B/accounts/${accounts[$i]}/withdraw?status=pending&size=100&page=$page" |
        jq -r --arg b "$B/accounts/${accounts[$i]}/withdraw" --arg t "${tokens[$i]}" \
          '.[] | "\($b)/\(.id)/confirm\tAuthorization: Bearer \($t)"' >>"$WORK/confirms"
    done
  done
  shuf "$WORK/confirms" -o "$WORK/confirms"
  loadgen --label confirm --method POST --targets "$WORK/confirms" --once true \
    --body '{"authorizationCode":"000000"}' --concurrency "$C" --seconds "$SECS"
  kill $SERVER; wait $SERVER 2>/dev/null || true
  SERVER=
  echo "# ledger check after the run"
  $BIN/payplane admin ledger check
}

for db in payplane_bench pgbench_bench; do
  psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
done
echo "# pgbench -N -c $C (same PostgreSQL, over TCP)"
pgbench -q -i -s 10 -h 127.0.0.1 "$PG/pgbench_bench" >/dev/null 2>&1 || pgbench -q -i -s 10 "$PG/pgbench_bench" >/dev/null 2>&1
bench_pg -N -c "$C" -j 2 -T "$SECS" "$PG/pgbench_bench"
echo "# pgbench -N -c $C2"
bench_pg -N -c "$C2" -j 2 -T "$SECS" "$PG/pgbench_bench"

export PAYPLANE_LISTEN=127.0.0.1:18180 PAYPLANE_MAX_CONNECTIONS=16
# The load comes from a few tokens at tens of thousands of requests/s: a limit no run reaches, so
# the limiter still runs but never refuses (docs/security.md, rate limits).
export PAYPLANE_RATE_LIMIT_PER_SECOND=1000000000 PAYPLANE_RATE_LIMIT_BURST=1000000000
PAYPLANE_DATABASE_URL="$PG/payplane_bench" measure "PostgreSQL"
PAYPLANE_DATABASE_URL="sqlite://$WORK/bench.db?mode=rwc" measure "SQLite"

for db in payplane_bench pgbench_bench; do psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $db"; done
