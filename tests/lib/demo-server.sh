# Sourced by tests/client/run and tests/browser/run: `start_demo_server` builds the debug binary
# and starts `partnergraph serve --demo` on 127.0.0.1 and a free port, SQLite in a temp dir; it
# sets `base` (http://127.0.0.1:PORT), `work` (the temp dir) and an EXIT trap that stops the
# server and removes the dir. Needs `root` (the repository) and node (for the health check).

start_demo_server() {
    (cd "$root" && cargo build --quiet --bin partnergraph)
    local binary="${CARGO_TARGET_DIR:-$root/target}/debug/partnergraph" port
    work="$(mktemp -d)"
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    base="http://127.0.0.1:$port"
    server_pid=""
    trap stop_demo_server EXIT

    (cd "$work" && exec env PARTNERGRAPH_DATABASE_URL="sqlite://$work/demo.db" \
        PARTNERGRAPH_BIND="127.0.0.1:$port" RUST_LOG=warn "$binary" serve --demo) >"$work/server.log" 2>&1 &
    server_pid=$!

    # Loading the demo data comes before listening: wait for /healthz (up to 5 minutes).
    for _ in $(seq 1 300); do
        if ! kill -0 "$server_pid" 2>/dev/null; then
            echo "the server exited:" >&2
            cat "$work/server.log" >&2
            exit 1
        fi
        if node -e "fetch('$base/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"; then
            return 0
        fi
        sleep 1
    done
    echo "the server did not answer /healthz within 5 minutes" >&2
    exit 1
}

stop_demo_server() {
    if [ -n "${server_pid:-}" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "${work:-}"
}
