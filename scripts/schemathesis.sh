#!/usr/bin/env bash
# API contract check: schemathesis against the OpenAPI document served by a real `vertechie
# serve` (debug binary, fresh SQLite data dir, rate limits off), signed in as an ADMIN. Fails on
# any server error, response that does not match its schema, undocumented status code or wrong
# content type.
#
#   bash scripts/schemathesis.sh
#
# Overridable by environment:
#   (all rate limits are off: the fuzzer would otherwise spend its examples on 429s)
#   ST_MAX_EXAMPLES=50    test cases per operation and phase
#   ST_SEED=…             hypothesis seed (default: fixed, so runs are reproducible)
#   ST_WORKERS=1          concurrent schemathesis workers (more trip a CPython 3.11 parser race
#                         inside hypothesis: "AST constructor recursion depth mismatch")
#   ST_KEEP=1             keep the temporary data directory (server log, reports)
#   ST_BIN=PATH           use this binary instead of building the debug one
#   ST_CARGO_ARGS="…"     package selection and features of that build (default -p vertechie-server;
#                         .ci/run passes its test steps' selection, so the binary is already built)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

MAX_EXAMPLES="${ST_MAX_EXAMPLES:-50}"
SEED="${ST_SEED:-20261204}"
WORKERS="${ST_WORKERS:-1}"
ADMIN_EMAIL="admin@schemathesis.vertechie.test"
ADMIN_PASSWORD="schemathesis-admin-password"
# Version pinned so a new release cannot turn CI red on its own; bump deliberately.
ST_VERSION="4.32.5"

export VERTECHIE_RATE_LIMIT_PER_MIN=0
export VERTECHIE_AUTH_RATE_LIMIT_PER_MIN=0
export VERTECHIE_USER_WRITE_RATE_LIMIT_PER_MIN=0
export VERTECHIE_LOG_LEVEL="${VERTECHIE_LOG_LEVEL:-info}"
# A fresh SQLite database under the temp data dir: ignore any database the caller has configured.
unset DATABASE_URL REDIS_URL RUST_LOG VERTECHIE_DATABASE_URL VERTECHIE_REDIS_URL VERTECHIE_CONFIG

say() { echo "== $*"; }

# --- tools ------------------------------------------------------------------------------------
if ! command -v schemathesis >/dev/null 2>&1 ||
    [[ "$(schemathesis --version 2>/dev/null)" != *"$ST_VERSION"* ]]; then
    say "installing schemathesis $ST_VERSION (pip)"
    pip install --quiet "schemathesis==$ST_VERSION"
fi
say "$(schemathesis --version)"

# --- build ------------------------------------------------------------------------------------
if [[ -n "${ST_BIN:-}" ]]; then
    BIN="$ST_BIN"
else
    read -r -a CARGO_ARGS <<<"${ST_CARGO_ARGS:--p vertechie-server}"
    say "cargo build ${CARGO_ARGS[*]} --bin vertechie"
    cargo build "${CARGO_ARGS[@]}" --bin vertechie
    BIN="${CARGO_TARGET_DIR:-$(pwd)/target}/debug/vertechie"
fi

# --- fresh server -----------------------------------------------------------------------------
DATA="$(mktemp -d -t vertechie-schemathesis.XXXXXX)"
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
    if [[ "${ST_KEEP:-0}" == 1 ]]; then
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

say "creating the admin $ADMIN_EMAIL in $DATA"
"$BIN" --data-dir "$DATA" create-admin --email "$ADMIN_EMAIL" --password "$ADMIN_PASSWORD" </dev/null

say "starting the server on $BASE"
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

# --- run --------------------------------------------------------------------------------------
# Operations that can end the admin's session or change the admin (schemathesis learns the ids
# from earlier responses): each runs afterwards on its own, with a fresh sign-in, the admin
# update last.
SESSION_ENDING=(
    "POST /api/v1/auth/logout"
    "DELETE /api/v1/auth/sessions/{id}"
    "POST /api/v1/users/me/password"
    "DELETE /api/v1/users/me"
    "PATCH /api/v1/users/{id}"
)
login() {
    curl -fsS -X POST "$BASE/api/v1/auth/login" -H 'Content-Type: application/json' \
        --data "{\"email\": \"$ADMIN_EMAIL\", \"password\": \"$ADMIN_PASSWORD\"}" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["access_token"])'
}
# One session per run, all signed in before any fuzzing: fuzzing the sign-in may lock the
# account (423 after lockout_threshold failures), and one run must not end another's session.
TOKENS=()
for _ in $(seq 0 "${#SESSION_ENDING[@]}"); do
    TOKENS+=("$(login)")
done
st_run() {
    local token="$1"
    shift
    # From the data dir: schemathesis keeps a cache (.schemathesis/) in the working directory.
    (cd "$DATA" && schemathesis run "$BASE/api/v1/openapi.json" \
        --url "$BASE" \
        --header "Authorization: Bearer $token" \
        --checks not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance \
        --max-examples "$MAX_EXAMPLES" \
        --seed "$SEED" \
        --workers "$WORKERS" \
        --request-timeout 30 \
        --suppress-health-check all \
        --report junit --report-dir "$DATA/report" \
        "$@" </dev/null)
}
rc=0
excluded=()
for name in "${SESSION_ENDING[@]}"; do
    excluded+=(--exclude-name "$name")
done
say "schemathesis: every other operation, $MAX_EXAMPLES examples each, seed $SEED"
st_run "${TOKENS[0]}" "${excluded[@]}" || rc=$?
for i in "${!SESSION_ENDING[@]}"; do
    name="${SESSION_ENDING[$i]}"
    say "schemathesis: $name"
    # One operation has no links to follow: no stateful phase.
    st_run "${TOKENS[$((i + 1))]}" --include-name "$name" --phases examples,coverage,fuzzing || rc=$?
done

if grep -q '"level":"ERROR"' "$DATA/server.log"; then
    echo "the server logged errors:" >&2
    grep '"level":"ERROR"' "$DATA/server.log" | head -20 >&2
    ((rc == 0)) && rc=1
fi
exit "$rc"
