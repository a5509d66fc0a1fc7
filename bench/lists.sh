#!/usr/bin/env bash
# List latency at 10 k and 1 M rows (issue 20, item 2), for BENCH.md (by hand, never in CI).
# Needs PostgreSQL (PG_URL, trust auth), curl and jq. Builds the release binaries, then for each
# database and each size: a fresh database, a user with a test token and an IDR account, a
# business with an API key (through the API and the admin CLI), then `seed --rows N` writes N
# rows of every list straight into the tables, and the release server is started on it.
# Each list is then read for SECS seconds by C closed-loop clients (loadgen), at three places:
#   first   the first page (size 20)
#   deep    page DEEP (size 20): OFFSET, so it grows with the depth
#   cursor  the page after a cursor in the middle of the list (keyset: a seek)
# and the server's CPU (user+sys from /proc) per request is reported beside p50/p99.
# LISTS="events pull_payments" measures only those (to rerun a noisy figure).
# SEEDED=DIR keeps the seeded SQLite databases in DIR and reuses them on the next run (a 1 M-row
# seed takes minutes; the server's data then starts from the same state each run).
# NOLISTS=1 skips the lists: only the cold start and the memory under withdrawals.
# Reproduce: PG_URL=postgres://postgres@127.0.0.1:5432 SIZES="10000 1000000" ./bench/lists.sh
set -euo pipefail
PG=${PG_URL:-postgres://postgres@127.0.0.1:5432}
SECS=${SECS:-5}
C=${C:-2}
DEEP=${DEEP:-50}
SIZES=${SIZES:-10000 1000000}
DBS=${DBS:-postgres sqlite}
TARGET=${CARGO_TARGET_DIR:-target}
cd "$(dirname "$0")/.."
# BIN=target/debug NOBUILD=1 runs a quick check of the script itself with debug binaries.
[ -n "${NOBUILD:-}" ] || cargo build --release -q --locked -p payplane -p payplane-bench
BIN=${BIN:-$TARGET/release}
WORK=$(mktemp -d)
B=http://127.0.0.1:18280
SERVER=
# Under `set -e` a failing command ends the trap: the kill must not stop the clean-up.
trap '[ -z "$SERVER" ] || kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
export PAYPLANE_LISTEN=127.0.0.1:18280 PAYPLANE_MAX_CONNECTIONS=16
export PAYPLANE_RATE_LIMIT_PER_SECOND=1000000000 PAYPLANE_RATE_LIMIT_BURST=1000000000
export PAYPLANE_CHAIN_DATA_DIR=$WORK/chain

start() {
  PAYPLANE_LOG=warn $BIN/payplane serve >>"$WORK/server.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 3000); do curl -sf $B/ping >/dev/null && return; sleep 0.01; done
  echo "server did not start"; tail -20 "$WORK/server.log"; exit 1
}
stop() { kill $SERVER; wait $SERVER 2>/dev/null || true; SERVER=; }
# User + system CPU ticks (10 ms) of the server so far.
ticks() { awk '{print $14 + $15}' "/proc/$SERVER/stat"; }
# The cursor the lists give for key (at, id): hex of "at:id".
cursor() { printf '%s:%s' "$1" "$2" | od -An -tx1 | tr -d ' \n'; }

# measure LABEL URL HEADER: one loadgen run, one JSON line with the server's CPU µs per request.
measure() {
  local label=$1 url=$2 header=$3 t0 t1 out
  curl -gsf -o /dev/null -H "$header" "$url" || { echo "{\"label\":\"$label\",\"error\":\"$(curl -gs -H "$header" "$url" | head -c 300)\"}"; return; }
  t0=$(ticks)
  out=$($BIN/loadgen --label "$label" --url "$url" --header "$header" --concurrency "$C" --seconds "$SECS")
  t1=$(ticks)
  jq -c --argjson cpu "$(( (t1 - t0) * 10000 ))" '. + {cpuUsPerReq: (if .ok > 0 then ($cpu / .ok | round) else null end)} | {label: .label, ok, okPerSec, p50ms, p99ms, cpuUsPerReq}' <<<"$out"
}

# rss_under_withdrawals LABEL ACCOUNT HEADER: 8 clients create withdrawals for 2 × SECS while the
# server's resident memory is sampled every 100 ms; prints the run and the peak (VmRSS, and the
# kernel's own high-water mark VmHWM), with the anonymous (heap) and file-backed (mapped pages,
# e.g. SQLite's) parts at the peak.
rss_under_withdrawals() {
  local label=$1 acc=$2 header=$3 peak=0 anon=0 file=0 r out
  curl -sf -H "$header" -H 'Content-Type: application/json' -d '{"amount": 10000000000}' \
    $B/sandbox/accounts/$acc/deposit >/dev/null
  $BIN/loadgen --label "$label/withdrawals" --method POST --url "$B/accounts/$acc/withdraw" --header "$header" \
    --body '{"prefix":"bca","address":"1234567890","addressName":"Bench","amount":1}' \
    --concurrency 8 --seconds $((2 * SECS)) >"$WORK/rss.json" &
  local lg=$!
  while kill -0 $lg 2>/dev/null; do
    read -r r a f < <(awk '/^VmRSS/ {r=$2} /^RssAnon/ {a=$2} /^RssFile/ {f=$2} END {print r, a, f}' "/proc/$SERVER/status")
    if [ "$r" -gt "$peak" ]; then peak=$r anon=$a file=$f; fi
    sleep 0.1
  done
  out=$(jq -c '{label: .label, ok, okPerSec, p50ms, p99ms}' "$WORK/rss.json")
  echo "$out peakRssMB=$((peak / 1024)) (anon $((anon / 1024)), file $((file / 1024))) vmHwmMB=$(( $(awk '/^VmHWM/ {print $2}' "/proc/$SERVER/status") / 1024 ))"
}

# setup DB ROWS: a user, token, account, business and API key through the API, then the seed;
# sets uid token acc biz key seed. With SEEDED (SQLite), a saved seeded copy is reused instead.
setup() {
  local db=$1 rows=$2 r saved=${SEEDED:+$SEEDED/$1-$2}
  if [ "$db" = sqlite ] && [ -n "$saved" ] && [ -f "$saved.db" ]; then
    cp "$saved.db" "$WORK/lists.db"
    read -r uid token acc biz key < "$saved.ids"
    seed=$(cat "$saved.seed")
    echo "# reused the seeded database $saved.db"
    return
  fi
  $BIN/payplane migrate >/dev/null
  uid=$($BIN/payplane admin user create --email "lists$rows@example.com" --name "Lists" | jq -r .id)
  token=$($BIN/payplane admin token create --user "$uid" --mode test | jq -r .token)
  start
  local auth="Authorization: Bearer $token"
  acc=$(curl -sf -H "$auth" -H 'Content-Type: application/json' -d '{"currencyId":"IDR"}' $B/users/me/accounts | jq -r .id)
  curl -sf -H "$auth" -H 'Content-Type: application/json' -d '{"amount": 1000}' $B/sandbox/accounts/$acc/deposit >/dev/null
  r=$(curl -sf -H 'Content-Type: application/json' -d "{\"company\":\"Lists\",\"email\":\"biz$rows@example.com\",\"password\":\"correct horse battery\"}" $B/api/v2/console-auth/register)
  biz=$(jq -r .data.businessID <<<"$r")
  r=$(curl -sf -H 'Content-Type: application/json' -d "{\"email\":\"biz$rows@example.com\",\"password\":\"correct horse battery\"}" $B/api/v2/console-auth/login)
  key=$(curl -sf -H "x-access-token: $(jq -r .data.xAccessToken <<<"$r")" $B/api/v2/console-auth/api-keys/generate/$biz | jq -r .data)
  stop
  seed=$($BIN/seed --database-url "$PAYPLANE_DATABASE_URL" --rows "$rows" --user "$uid" --account "$acc" --business "$biz")
  if [ "$db" = postgres ]; then
    # Let PostgreSQL settle after the bulk insert, as a database that grew over months would be:
    # statistics, visibility map and a checkpoint, so autovacuum and checkpoint I/O of the seed
    # do not run under the measured pages.
    psql -q "$PAYPLANE_DATABASE_URL" -c "VACUUM ANALYZE" -c "CHECKPOINT"
  fi
  if [ "$db" = sqlite ] && [ -n "$saved" ]; then
    mkdir -p "$SEEDED"
    cp "$WORK/lists.db" "$saved.db"
    echo "$uid $token $acc $biz $key" > "$saved.ids"
    echo "$seed" > "$saved.seed"
  fi
}

run() {
  local db=$1 rows=$2 uid token acc biz key seed
  echo "## $db, $rows rows ($(uptime | sed 's/.*load average/load average/'))"
  setup "$db" "$rows"
  local auth="Authorization: Bearer $token"
  echo "# seed: $(jq -c '{rows, seconds}' <<<"$seed")"
  local t0
  t0=$(date +%s%N)
  start
  echo "# cold start on $rows rows: serve to first answered /ping in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
  local m k
  m() { jq -r ".middle.$1[0]" <<<"$seed"; }
  k() { cursor "$(jq -r ".middle.$1[0]" <<<"$seed")" "$(jq -r ".middle.$1[1]" <<<"$seed")"; }
  local pk="pma-api-key: $key"
  local -A url=(
    [withdrawals]="$B/accounts/$acc/withdraw?size=20"
    [withdrawals_status]="$B/accounts/$acc/withdraw?status=succeeded&size=20"
    [account_transactions]="$B/users/me/accounts/$acc/transactions?size=20"
    [events]="$B/users/me/events?size=20"
    [webhook_deliveries]="$B/users/me/webhooks/deliveries?size=20"
    [postback_deliveries]="$B/api/v2/api-key-auth/business/postback-deliveries/$biz?itemsPerPage=20"
    [pull_payments]="$B/api/v2/api-key-auth/pull-payments/business/$biz?itemsPerPage=20"
    [pull_payments_filtered]="$B/api/v2/api-key-auth/pull-payments/business/$biz?networkID=3&statuses=[3]&itemsPerPage=20"
    [transactions_report]="$B/api/v2/api-key-auth/transactions/report/all/$biz/3?itemsPerPage=20"
    [transactions_report_filtered]="$B/api/v2/api-key-auth/transactions/report/all/$biz/3?transactionStatuses=[3]&currency=USD&itemsPerPage=20"
  )
  local -A hdr=(
    [withdrawals]=$auth [withdrawals_status]=$auth [account_transactions]=$auth [events]=$auth
    [webhook_deliveries]=$auth [postback_deliveries]=$pk [pull_payments]=$pk
    [pull_payments_filtered]=$pk [transactions_report]=$pk [transactions_report_filtered]=$pk
  )
  local -A key_of=(
    [withdrawals]=withdrawal [withdrawals_status]=withdrawal [account_transactions]=accountTransaction
    [events]=event [webhook_deliveries]=webhookDelivery [postback_deliveries]=postbackDelivery
    [pull_payments]=pullPayment [pull_payments_filtered]=pullPayment [transactions_report]=transaction
    [transactions_report_filtered]=transaction
  )
  # The webhook log numbers its pages from 0, the others from 1.
  [ -n "${NOLISTS:-}" ] && LISTS=" "
  for list in ${LISTS:-withdrawals withdrawals_status account_transactions events webhook_deliveries postback_deliveries \
    pull_payments pull_payments_filtered transactions_report transactions_report_filtered}; do
    local u=${url[$list]} h=${hdr[$list]} deep=$DEEP
    [ "$list" = webhook_deliveries ] && deep=$((DEEP - 1))
    measure "$db/$rows/$list/first" "$u" "$h"
    measure "$db/$rows/$list/deep" "$u&page=$deep" "$h"
    measure "$db/$rows/$list/cursor" "$u&cursor=$(k "${key_of[$list]}")" "$h"
  done
  rss_under_withdrawals "$db/$rows" "$acc" "$auth"
  stop
  echo "# ledger check"
  $BIN/payplane admin ledger check | tail -1
}

for db in $DBS; do
  for rows in $SIZES; do
    if [ "$db" = postgres ]; then
      psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS payplane_lists" -c "CREATE DATABASE payplane_lists"
      export PAYPLANE_DATABASE_URL="$PG/payplane_lists"
    else
      rm -f "$WORK"/lists.db*
      export PAYPLANE_DATABASE_URL="sqlite://$WORK/lists.db?mode=rwc"
    fi
    rm -rf "$WORK/chain"
    run "$db" "$rows"
  done
done
[ "${DBS#*postgres}" != "$DBS" ] && psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS payplane_lists"
true
