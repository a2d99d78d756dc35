#!/usr/bin/env bash
# Realtime gateway benchmark: the release binary on a fresh database, loaded by
# tools/ws-load (vertechie-ws-load) over loopback in three phases:
#   idle        10,000 idle sockets (20 per user, so 500 users): the server's RSS before and
#               with them open → MiB in total and KiB per connection; time to open; refusals
#   fan-out     a public room of 1,000 members, one socket each; one member sends 200 messages
#               at 10/s → send-to-arrival latency p50/p90/p99/max over every member, and the
#               latency to the last member, deliveries received against expected
#   throughput  100 sockets × 15 send_message/s (under the 20 frames/s budget) over 10 rooms
#               for 15 s with 10 listeners in every room → acked messages/s, ack latency, errors
# Figures are printed, never asserted. The server runs with rate limits off, a cheap argon2 cost
# (so registering the load users is quick; sign-in cost is what scripts/bench.sh measures) and
# access tokens valid for two hours.
#
#   bash scripts/bench-ws.sh
#   BENCH_CONNECTIONS=300 BENCH_MEMBERS=100 BENCH_DURATION=5 bash scripts/bench-ws.sh
#
# Overridable by environment:
#   BENCH_CONNECTIONS=10000   idle sockets            BENCH_PER_USER=20      idle sockets per user
#   BENCH_MEMBERS=1000        fan-out room members    BENCH_MESSAGES=200     fan-out messages
#   BENCH_RATE=10             fan-out messages/s      BENCH_DURATION=15      throughput seconds
#   BENCH_SENDERS=100         throughput senders      BENCH_SENDER_RATE=15   messages/s per sender
#   BENCH_ROOMS=10            throughput rooms        BENCH_LISTENERS=10     listeners per room
#   BENCH_PHASES=idle,fanout,throughput               BENCH_BACKENDS=sqlite  (or "sqlite postgres")
#   BENCH_PG=postgres://postgres@127.0.0.1:5432       PostgreSQL server (a database is created
#                                                     and dropped)
#   BENCH_REDIS_URL=redis://127.0.0.1:6379            give the server Redis (presence, bus)
#   BENCH_BIN=path/to/vertechie BENCH_TOOL=path/to/vertechie-ws-load   skip the release build
#                                                     of what is given (e.g. debug builds)
#   BENCH_KEEP=1              keep the temporary data directory (server logs, tool output)
# Any VERTECHIE_* setting (e.g. VERTECHIE_DB_MAX_CONNECTIONS) is passed through to the server.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

CONNECTIONS="${BENCH_CONNECTIONS:-10000}"
PER_USER="${BENCH_PER_USER:-20}"
MEMBERS="${BENCH_MEMBERS:-1000}"
MESSAGES="${BENCH_MESSAGES:-200}"
RATE="${BENCH_RATE:-10}"
SENDERS="${BENCH_SENDERS:-100}"
SENDER_RATE="${BENCH_SENDER_RATE:-15}"
ROOMS="${BENCH_ROOMS:-10}"
LISTENERS="${BENCH_LISTENERS:-10}"
DURATION="${BENCH_DURATION:-15}"
DURATION="${DURATION%s}"
PHASES="${BENCH_PHASES:-idle,fanout,throughput}"
BACKENDS="${BENCH_BACKENDS:-sqlite}"
PG="${BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
ARGON2_KIB=1024
ARGON2_ITERATIONS=1

export DEBIAN_FRONTEND=noninteractive
export VERTECHIE_RATE_LIMIT_PER_MIN=0
export VERTECHIE_AUTH_RATE_LIMIT_PER_MIN=0
export VERTECHIE_LOG_LEVEL=warn
export VERTECHIE_ARGON2_MEMORY_KIB="$ARGON2_KIB"
export VERTECHIE_ARGON2_ITERATIONS="$ARGON2_ITERATIONS"
export VERTECHIE_ACCESS_TOKEN_TTL_SECS=7200
# A fresh database under the temp data dir: ignore any database the caller has configured.
unset DATABASE_URL REDIS_URL RUST_LOG VERTECHIE_DATABASE_URL VERTECHIE_REDIS_URL VERTECHIE_CONFIG
if [[ -n "${BENCH_REDIS_URL:-}" ]]; then
    export VERTECHIE_REDIS_URL="$BENCH_REDIS_URL"
fi

say() { echo "== $*"; }

missing=()
for tool in curl python3; do command -v "$tool" >/dev/null || missing+=("$tool"); done
[[ " $BACKENDS " == *" postgres "* ]] && ! command -v psql >/dev/null && missing+=(postgresql-client)
if ((${#missing[@]} > 0)); then
    say "installing ${missing[*]} (apt-get)"
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}"
fi

# A signing secret for this run only (else the server generates one and warns about it).
VERTECHIE_SECRET="$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
export VERTECHIE_SECRET

# --- build ------------------------------------------------------------------------------------
BIN="${BENCH_BIN:-}"
TOOL="${BENCH_TOOL:-}"
packages=()
[[ -z "$BIN" ]] && packages+=(-p vertechie-server)
[[ -z "$TOOL" ]] && packages+=(-p vertechie-ws-load)
if ((${#packages[@]} > 0)); then
    say "cargo build --release ${packages[*]}"
    cargo build --release "${packages[@]}"
fi
BIN="$(realpath "${BIN:-target/release/vertechie}")"
TOOL="$(realpath "${TOOL:-target/release/vertechie-ws-load}")"

# Both the server and the tool hold one descriptor per socket.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
FD_LIMIT="$(ulimit -n)"
if [[ "$FD_LIMIT" != unlimited ]] && ((FD_LIMIT < CONNECTIONS + 200)); then
    echo "warning: open-file limit $FD_LIMIT is under $CONNECTIONS sockets + headroom" >&2
fi

# --- one backend at a time --------------------------------------------------------------------
DATA="$(mktemp -d -t vertechie-bench-ws.XXXXXX)"
SERVER_PID=""
PG_DB=""
stop_server() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 200); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=""
}
drop_pg() {
    if [[ -n "$PG_DB" ]]; then
        psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true
        PG_DB=""
    fi
}
cleanup() {
    local rc=$?
    stop_server
    drop_pg
    if [[ "${BENCH_KEEP:-0}" == 1 ]]; then
        echo "kept $DATA"
    else
        rm -rf "$DATA"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The warnings and errors the server logged (JSON lines), grouped by message.
log_summary() {
    python3 - "$1" <<'PY'
import collections, json, sys
counts = collections.Counter()
for line in open(sys.argv[1], errors="replace"):
    try:
        rec = json.loads(line)
    except ValueError:
        continue
    level = rec.get("level", "")
    if level in ("WARN", "ERROR"):
        msg = rec.get("message") or (rec.get("fields") or {}).get("message", "")
        counts[(level, msg[:120])] += 1
for (level, msg), n in counts.most_common(8):
    print(f"   {level} ×{n}: {msg}")
if not counts:
    print("   none")
PY
}

RESULTS=()
run_backend() {
    local backend="$1" url
    case "$backend" in
        sqlite) url="sqlite://$DATA/sqlite/vertechie.db?mode=rwc"; mkdir -p "$DATA/sqlite" ;;
        postgres)
            PG_DB="vt_bench_ws_$RANDOM$RANDOM"
            psql "$PG/postgres" -qc "CREATE DATABASE $PG_DB" >/dev/null
            url="$PG/$PG_DB"
            ;;
        *) echo "unknown backend $backend" >&2; exit 2 ;;
    esac
    local port base log="$DATA/server-$backend.log" out="$DATA/tool-$backend.txt"
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
    base="http://127.0.0.1:$port"
    say "$backend: starting $BIN on $base (rate limits off, argon2 ${ARGON2_KIB} KiB × $ARGON2_ITERATIONS for a quick set-up, open-file limit $FD_LIMIT)"
    # Started directly so that $! is the server's own PID (its /proc entry gives RSS and CPU).
    "$BIN" --data-dir "$DATA" --database-url "$url" --bind "127.0.0.1:$port" serve \
        >"$log" 2>&1 </dev/null &
    SERVER_PID=$!
    for _ in $(seq 1 300); do
        curl -fsS "$base/health" >/dev/null 2>&1 && break
        kill -0 "$SERVER_PID" 2>/dev/null || {
            cat "$log" >&2
            exit 1
        }
        sleep 0.1
    done
    curl -fsS "$base/health" >/dev/null

    if ! "$TOOL" --url "$base" --server-pid "$SERVER_PID" --phases "$PHASES" \
        --connections "$CONNECTIONS" --per-user "$PER_USER" \
        --members "$MEMBERS" --messages "$MESSAGES" --rate "$RATE" \
        --senders "$SENDERS" --sender-rate "$SENDER_RATE" --rooms "$ROOMS" \
        --listeners "$LISTENERS" --duration-secs "$DURATION" | tee "$out"; then
        echo "the load tool failed against $backend; the server log ends with:" >&2
        tail -n 20 "$log" >&2
        exit 1
    fi

    local metrics
    metrics="$(curl -fsS "$base/metrics" | grep -E '^ws_(slow_consumers|rate_limited|bus_lagged|idle_closed)_total' || true)"
    RESULTS+=("--- $backend${BENCH_REDIS_URL:+ with Redis} ($(nproc) cores; the tool runs on the same machine)")
    while IFS= read -r line; do RESULTS+=("$line"); done < <(sed -n '/^== results$/,$p' "$out" | tail -n +2)
    RESULTS+=("server counters: ${metrics:-no ws_* cut-offs counted}")
    RESULTS+=("server warnings and errors:")
    while IFS= read -r line; do RESULTS+=("$line"); done < <(log_summary "$log")
    stop_server
    drop_pg
}

for b in $BACKENDS; do run_backend "$b"; done

echo
say "realtime gateway ($PHASES): $CONNECTIONS idle sockets, a $MEMBERS-member room × $MESSAGES messages at $RATE/s, $SENDERS senders × $SENDER_RATE/s over $ROOMS rooms for ${DURATION} s"
printf '%s\n' "${RESULTS[@]}"
