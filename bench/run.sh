#!/usr/bin/env bash
# Load run for BENCH.md (by hand, never in CI). Needs PostgreSQL (PG_URL, trust auth), pgbench,
# curl and jq. Builds release binaries, then in one run measures:
#   1. withdrawal creations/s (POST /accounts/{id}/withdraw)  vs  pgbench -N -c 8 TPS
#   2. GET /users/me/accounts/{id} req/s                      vs  a minimal axum hello-world
set -euo pipefail
PG=${PG_URL:-postgres://postgres@127.0.0.1:5432}
SECS=${SECS:-15}
C=${C:-8}
TARGET=${CARGO_TARGET_DIR:-target}
cd "$(dirname "$0")/.."
cargo build --release -q -p payplane -p payplane-bench
BIN=$TARGET/release
for db in payplane_bench pgbench_bench; do
  psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
done

export PAYPLANE_DATABASE_URL="$PG/payplane_bench" PAYPLANE_LISTEN=127.0.0.1:18180 PAYPLANE_MAX_CONNECTIONS=16
$BIN/payplane migrate >/dev/null
USER_ID=$($BIN/payplane admin user create --email bench@example.com --name Bench | jq -r .id)
TOKEN=$($BIN/payplane admin token create --user "$USER_ID" --mode test | jq -r .token)
RUST_LOG=warn $BIN/payplane serve >/tmp/payplane-bench-server.log 2>&1 &
SERVER=$!
$BIN/hello 127.0.0.1:18190 &
HELLO=$!
trap 'kill $SERVER $HELLO 2>/dev/null' EXIT
for _ in $(seq 1 100); do curl -sf http://127.0.0.1:18180/ping >/dev/null && break; sleep 0.1; done
B=http://127.0.0.1:18180
AUTH="Authorization: Bearer $TOKEN"
ACC=$(curl -sf -H "$AUTH" -H 'Content-Type: application/json' -d '{"currencyId":"IDR"}' $B/users/me/accounts | jq -r .id)
curl -sf -H "$AUTH" -H 'Content-Type: application/json' -d '{"amount": 10000000000}' $B/sandbox/accounts/$ACC/deposit >/dev/null

echo "# withdrawal creations (PostgreSQL, concurrency $C, ${SECS}s)"
$BIN/loadgen --label withdraw_create --method POST --url "$B/accounts/$ACC/withdraw" --header "$AUTH" \
  --body '{"prefix":"bca","address":"1234567890","addressName":"Bench","amount":1}' \
  --concurrency "$C" --seconds "$SECS"
echo "# pgbench -N -c $C (same PostgreSQL)"
pgbench -q -i -s 10 "$PG/pgbench_bench" >/dev/null 2>&1
pgbench -N -c "$C" -j 2 -T "$SECS" "$PG/pgbench_bench" 2>/dev/null | grep -E '^(tps|latency average|number of transactions actually)'

echo "# GET account (concurrency 32, ${SECS}s)"
$BIN/loadgen --label get_account --url "$B/users/me/accounts/$ACC" --header "$AUTH" --concurrency 32 --seconds "$SECS"
echo "# axum hello-world (concurrency 32, ${SECS}s)"
$BIN/loadgen --label axum_hello --url "http://127.0.0.1:18190/" --concurrency 32 --seconds "$SECS"

echo "# ledger check after the run"
$BIN/payplane admin ledger check
kill $SERVER $HELLO; wait $SERVER $HELLO 2>/dev/null || true
for db in payplane_bench pgbench_bench; do psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $db"; done
