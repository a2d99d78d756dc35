#!/usr/bin/env bash
# Load benchmark: the release binary on a fresh SQLite database with 10,000 seeded users, measured
# with wrk on loopback. Prints req/s, p50, p99 and non-2xx answers per endpoint, and the server's
# peak RSS. Figures are reported, never asserted.
#
#   bash scripts/bench.sh
#
# Overridable by environment:
#   BENCH_DURATION=15s      wrk duration per endpoint
#   BENCH_CONNECTIONS=64    wrk connections
#   BENCH_THREADS=2         wrk threads
#   BENCH_USERS=10000       demo users to seed
#   BENCH_LOGIN_SINGLE=5s   duration of the extra 1-connection login run (per-core argon2 rate)
#   BENCH_KEEP=1            keep the temporary data directory (and the server log)
# Any VERTECHIE_* setting (e.g. VERTECHIE_DB_MAX_CONNECTIONS) is passed through to the server.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

DURATION="${BENCH_DURATION:-15s}"
CONNECTIONS="${BENCH_CONNECTIONS:-64}"
THREADS="${BENCH_THREADS:-2}"
USERS="${BENCH_USERS:-10000}"
LOGIN_SINGLE="${BENCH_LOGIN_SINGLE:-5s}"
DEMO_PASSWORD="bench-demo-password"
ADMIN_EMAIL="admin@bench.vertechie.test"
ADMIN_PASSWORD="bench-admin-password"

export DEBIAN_FRONTEND=noninteractive
export VERTECHIE_RATE_LIMIT_PER_MIN=0
export VERTECHIE_AUTH_RATE_LIMIT_PER_MIN=0
export VERTECHIE_LOG_LEVEL=warn
# A fresh SQLite database under the temp data dir: ignore any database the caller has configured.
unset DATABASE_URL REDIS_URL RUST_LOG VERTECHIE_DATABASE_URL VERTECHIE_REDIS_URL VERTECHIE_CONFIG

say() { echo "== $*"; }

# --- tools ------------------------------------------------------------------------------------
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v curl >/dev/null || missing+=(curl)
if ((${#missing[@]} > 0)); then
    say "installing ${missing[*]} (apt-get)"
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}"
fi
command -v python3 >/dev/null || {
    echo "python3 is needed (free port, JSON)" >&2
    exit 1
}

# --- build ------------------------------------------------------------------------------------
say "cargo build --release"
cargo build --release
BIN="$(pwd)/target/release/vertechie"

# --- fresh server -----------------------------------------------------------------------------
DATA="$(mktemp -d -t vertechie-bench.XXXXXX)"
SERVER_PID=""
cleanup() {
    local rc=$?
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 150); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [[ "${BENCH_KEEP:-0}" == 1 ]]; then
        echo "kept $DATA"
    else
        rm -rf "$DATA"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
BASE="http://127.0.0.1:$PORT"
run() { "$BIN" --data-dir "$DATA" --bind "127.0.0.1:$PORT" "$@"; }

say "seeding $USERS demo users into $DATA"
run seed-demo --users "$USERS" --password "$DEMO_PASSWORD" --companies 0 </dev/null
say "creating the admin $ADMIN_EMAIL"
run create-admin --email "$ADMIN_EMAIL" --password "$ADMIN_PASSWORD" </dev/null

say "starting the server on $BASE"
# Started directly (not through `run`, a shell function) so that $! is the server's own PID.
"$BIN" --data-dir "$DATA" --bind "127.0.0.1:$PORT" serve >"$DATA/server.log" 2>&1 </dev/null &
SERVER_PID=$!
for _ in $(seq 1 100); do
    curl -fsS "$BASE/health" >/dev/null 2>&1 && break
    kill -0 "$SERVER_PID" 2>/dev/null || {
        cat "$DATA/server.log" >&2
        exit 1
    }
    sleep 0.1
done
curl -fsS "$BASE/health" >/dev/null

json_field() { python3 -c 'import json, sys; d = json.load(sys.stdin); print(eval("d" + sys.argv[1]))' "$1"; }
login() {
    curl -fsS -X POST "$BASE/api/v1/auth/login" -H 'Content-Type: application/json' \
        --data "{\"email\": \"$1\", \"password\": \"$2\"}"
}

USER_TOKEN="$(login user00001@demo.vertechie.test "$DEMO_PASSWORD" | json_field '["data"]["access_token"]')"
ADMIN_TOKEN="$(login "$ADMIN_EMAIL" "$ADMIN_PASSWORD" | json_field '["data"]["access_token"]')"
TARGET="$(printf 'user%05d' $(((USERS + 1) / 2)))"
TARGET_ID="$(curl -fsS "$BASE/api/v1/users?q=$TARGET" -H "Authorization: Bearer $ADMIN_TOKEN" |
    json_field '["data"]["items"][0]["id"]')"
TOTAL="$(curl -fsS "$BASE/api/v1/users?limit=1" -H "Authorization: Bearer $ADMIN_TOKEN" |
    json_field '["data"]["pagination"]["total"]')"
say "users in the database: $TOTAL; public profile target: $TARGET ($TARGET_ID)"

cat >"$DATA/login.lua" <<EOF
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"email": "user00001@demo.vertechie.test", "password": "$DEMO_PASSWORD"}'
EOF

# --- measurements -----------------------------------------------------------------------------
ROWS=()
# bench <label> <connections> <threads> <duration> <wrk args…>
bench() {
    local label="$1" conns="$2" threads="$3" dur="$4"
    shift 4
    local out="$DATA/wrk-${#ROWS[@]}.txt"
    say "$label: wrk -t$threads -c$conns -d$dur"
    wrk -t"$threads" -c"$conns" -d"$dur" --timeout 30s --latency "$@" | tee "$out"
    local rps p50 p99 non2xx errors
    rps="$(awk '/^Requests\/sec:/ {print $2}' "$out")"
    p50="$(awk '$1 == "50%" {print $2}' "$out")"
    p99="$(awk '$1 == "99%" {print $2}' "$out")"
    non2xx="$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$out")"
    errors="$(awk '/Socket errors:/ {gsub(/^ *Socket errors: */, ""); print}' "$out")"
    ROWS+=("$(printf '%-34s %12s %10s %10s %9s  %s' "$label" "${rps:-?}" "${p50:-?}" "${p99:-?}" "${non2xx:-0}" "${errors:-none}")")
}

peak_rss() { awk '/^VmHWM:/ {printf "%.1f MiB", $2 / 1024}' "/proc/$SERVER_PID/status"; }

bench "GET /api/v1/users/me" "$CONNECTIONS" "$THREADS" "$DURATION" \
    -H "Authorization: Bearer $USER_TOKEN" "$BASE/api/v1/users/me"
bench "GET /api/v1/users/{id}" "$CONNECTIONS" "$THREADS" "$DURATION" \
    "$BASE/api/v1/users/$TARGET_ID"
bench "GET /api/v1/users?page=2 (admin)" "$CONNECTIONS" "$THREADS" "$DURATION" \
    -H "Authorization: Bearer $ADMIN_TOKEN" "$BASE/api/v1/users?page=2"
RSS_READS="$(peak_rss)"
bench "POST /api/v1/auth/login" "$CONNECTIONS" "$THREADS" "$DURATION" \
    -s "$DATA/login.lua" "$BASE/api/v1/auth/login"
bench "POST /api/v1/auth/login (1 conn)" 1 1 "$LOGIN_SINGLE" \
    -s "$DATA/login.lua" "$BASE/api/v1/auth/login"
RSS_ALL="$(peak_rss)"

if grep -q '"level":"ERROR"' "$DATA/server.log"; then
    echo "server logged errors:" >&2
    grep '"level":"ERROR"' "$DATA/server.log" | head -5 >&2
fi

# --- report -----------------------------------------------------------------------------------
echo
say "results: $(nproc) cores, $CONNECTIONS connections, $DURATION per endpoint, $TOTAL users, SQLite"
echo "   (wrk runs on the same machine and competes with the server for the cores)"
printf '%-34s %12s %10s %10s %9s  %s\n' "endpoint" "req/s" "p50" "p99" "non-2xx" "socket errors"
printf '%s\n' "${ROWS[@]}"
echo "peak RSS (VmHWM) of the server: $RSS_READS after the read benchmarks, $RSS_ALL at the end"
echo "argon2id cost: $(run config | awk -F' = ' '/^argon2_(memory_kib|iterations|parallelism)/ {printf "%s=%s ", $1, $2}')"
