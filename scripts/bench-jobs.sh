#!/usr/bin/env bash
# Job search benchmark: the release binary with 100,000 open jobs (seed-demo), measured with wrk
# on loopback at 64 connections, first on a fresh SQLite database, then on a fresh PostgreSQL
# database (created and dropped here). Each request is a different search (full text, filters,
# sorts, pages) picked round-robin by a Lua script. Figures are printed, never asserted.
#
#   bash scripts/bench-jobs.sh
#
# Overridable by environment:
#   BENCH_DURATION=15s   wrk duration per run        BENCH_CONNECTIONS=64   wrk connections
#   BENCH_THREADS=2      wrk threads                 BENCH_JOBS=100000      jobs to seed
#   BENCH_COMPANIES=500  companies to seed           BENCH_BACKENDS="sqlite postgres"
#   BENCH_PG=postgres://postgres@127.0.0.1:5432      PostgreSQL server (a database is created)
#   BENCH_MODES="cached uncached"                    with and without the job search cache
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

DURATION="${BENCH_DURATION:-15s}"
CONNECTIONS="${BENCH_CONNECTIONS:-64}"
THREADS="${BENCH_THREADS:-2}"
JOBS="${BENCH_JOBS:-100000}"
COMPANIES="${BENCH_COMPANIES:-500}"
BACKENDS="${BENCH_BACKENDS:-sqlite postgres}"
# "cached": the default server (job_search_cache_secs = 30), where repeated searches are served
# from the instance's search cache; "uncached": every request runs the search in the database.
MODES="${BENCH_MODES:-cached uncached}"
PG="${BENCH_PG:-postgres://postgres@127.0.0.1:5432}"

export DEBIAN_FRONTEND=noninteractive
export VERTECHIE_RATE_LIMIT_PER_MIN=0
export VERTECHIE_AUTH_RATE_LIMIT_PER_MIN=0
export VERTECHIE_LOG_LEVEL=warn
unset DATABASE_URL REDIS_URL RUST_LOG VERTECHIE_DATABASE_URL VERTECHIE_REDIS_URL VERTECHIE_CONFIG

say() { echo "== $*"; }

missing=()
for tool in wrk curl psql python3; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if ((${#missing[@]} > 0)); then
    say "installing ${missing[*]} (apt-get)"
    apt-get update -qq
    apt-get install -y -qq "${missing[@]/psql/postgresql-client}"
fi

say "cargo build --release"
cargo build --release
BIN="$(pwd)/target/release/vertechie"

DATA="$(mktemp -d -t vertechie-bench-jobs.XXXXXX)"
SERVER_PID=""
PG_DB=""
stop_server() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=""
}
cleanup() {
    local rc=$?
    stop_server
    [[ -n "$PG_DB" ]] && psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $PG_DB" >/dev/null 2>&1 || true
    rm -rf "$DATA"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Searches a job seeker runs: words, filters, sorts, deeper pages.
cat >"$DATA/search.lua" <<'LUA'
local paths = {
  "/api/v1/jobs?q=rust",
  "/api/v1/jobs?q=backend+engineer&remote=remote",
  "/api/v1/jobs?q=python&sort=newest",
  "/api/v1/jobs?skill=postgres&sort=salary",
  "/api/v1/jobs?location=berlin&level=senior",
  "/api/v1/jobs?q=kubernetes&page=3",
  "/api/v1/jobs?type=contract&salary_min=6000000",
  "/api/v1/jobs?q=machine+learning&posted_within=7",
  "/api/v1/jobs",
  "/api/v1/jobs?q=typescript+react&page=10",
}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
LUA

ROWS=()
run_backend() {
    local backend="$1" url
    case "$backend" in
        sqlite) url="sqlite://$DATA/sqlite/vertechie.db?mode=rwc"; mkdir -p "$DATA/sqlite" ;;
        postgres)
            PG_DB="vt_bench_jobs_$RANDOM$RANDOM"
            psql "$PG/postgres" -qc "CREATE DATABASE $PG_DB" >/dev/null
            url="$PG/$PG_DB"
            ;;
        *) echo "unknown backend $backend" >&2; exit 2 ;;
    esac
    local port base
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
    base="http://127.0.0.1:$port"
    say "$backend: seeding $COMPANIES companies and $JOBS jobs"
    local started=$SECONDS
    "$BIN" --data-dir "$DATA" --database-url "$url" seed-demo --users "$COMPANIES" \
        --companies "$COMPANIES" --jobs "$JOBS" --applications 0 </dev/null
    say "$backend: seeded in $((SECONDS - started)) s"
    local mode cache_secs
    for mode in $MODES; do
        case "$mode" in
            cached) cache_secs=30 ;;
            uncached) cache_secs=0 ;;
            *) echo "unknown mode $mode" >&2; exit 2 ;;
        esac
        VERTECHIE_JOB_SEARCH_CACHE_SECS=$cache_secs \
            "$BIN" --data-dir "$DATA" --database-url "$url" --bind "127.0.0.1:$port" serve \
            >"$DATA/server-$backend-$mode.log" 2>&1 </dev/null &
        SERVER_PID=$!
        for _ in $(seq 1 300); do
            curl -fsS "$base/health" >/dev/null 2>&1 && break
            sleep 0.1
        done
        local total
        total="$(curl -fsS "$base/api/v1/jobs?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["pagination"]["total"])')"
        say "$backend, $mode search cache: $total open jobs; a warm-up pass, then wrk -t$THREADS -c$CONNECTIONS -d$DURATION"
        if [[ "$mode" == uncached ]]; then
            say "$backend: one request at a time, each shape (seconds, after one warm-up call)"
            grep -o '"/api/v1/jobs[^"]*"' "$DATA/search.lua" | tr -d '"' | while read -r path; do
                curl -fsS -o /dev/null "$base$path"
                printf '   %-55s %s\n' "$path" "$(curl -fsS -o /dev/null -w '%{time_total}' "$base$path")"
            done
        else
            # Uncached requests left running by an interrupted warm-up would still hold the
            # cores when the measured run starts (the server finishes what it began), so the
            # uncached run is warmed by the serial pass above only.
            wrk -t"$THREADS" -c"$CONNECTIONS" -d3s -s "$DATA/search.lua" "$base" >/dev/null
        fi
        local out="$DATA/wrk-$backend-$mode.txt"
        wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout 30s --latency -s "$DATA/search.lua" "$base" | tee "$out"
        local rss
        rss="$(awk '/^VmHWM:/ {printf "%.0f MiB", $2 / 1024}' "/proc/$SERVER_PID/status")"
        ROWS+=("$(printf '%-10s %-9s %8s %10s %10s %10s %9s %10s' "$backend" "$mode" "$total" \
            "$(awk '/^Requests\/sec:/ {print $2}' "$out")" "$(awk '$1 == "50%" {print $2}' "$out")" \
            "$(awk '$1 == "99%" {print $2}' "$out")" "$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$out" | grep . || echo 0)" "$rss")")
        if grep -q '"level":"ERROR"' "$DATA/server-$backend-$mode.log"; then
            echo "server logged errors:" >&2
            grep '"level":"ERROR"' "$DATA/server-$backend-$mode.log" | head -5 >&2
        fi
        stop_server
    done
}

for b in $BACKENDS; do run_backend "$b"; done

echo
say "job search: $(nproc) cores, $CONNECTIONS connections, $DURATION per database, 10 query shapes round-robin"
echo "   (wrk runs on the same machine and competes with the server for the cores)"
printf '%-10s %-9s %8s %10s %10s %10s %9s %10s\n' "database" "cache" "jobs" "req/s" "p50" "p99" "non-2xx" "peak RSS"
printf '%s\n' "${ROWS[@]}"
