#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL server:
#
#     scripts/with-postgres.sh .venv/bin/python -m pytest
#
# Starts a fresh server (initdb + pg_ctl) in a temporary folder, listening on 127.0.0.1 on a
# free port with trust authentication, exports DATABASE_URL for the command, and removes
# everything afterwards. Nothing of a system-wide PostgreSQL installation is touched.
#
# PostgreSQL refuses to run as root, so as root (CI) the server runs as the `postgres` user.
# Without PostgreSQL binaries (a developer laptop) it prints why and exits 0 without running the
# command; under CI=true a missing PostgreSQL is an error instead, so CI cannot skip it silently.
set -euo pipefail

find_bindir() {
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(readlink -f "$(command -v pg_ctl)")"
        return
    fi
    # Debian keeps the server binaries off PATH, one folder per major version: take the newest.
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

if [ $# -eq 0 ]; then
    echo "usage: $0 COMMAND [ARGS...]" >&2
    exit 2
fi

bindir="$(find_bindir)"
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
    if [ "${CI:-}" = "true" ]; then
        echo "with-postgres: PostgreSQL binaries not found, and CI=true: install 'postgresql'." >&2
        exit 1
    fi
    echo "=== SKIPPED: the PostgreSQL pass (no initdb/pg_ctl found; apt-get install postgresql) ==="
    exit 0
fi

as_server_user=()
tmp_base="${TMPDIR:-/tmp}"
if [ "$(id -u)" -eq 0 ]; then
    as_server_user=(runuser -u postgres --)
    tmp_base=/tmp  # the postgres user must reach it: root's own TMPDIR may be private
fi

workdir="$(mktemp -d "$tmp_base/cxr-pg.XXXXXX")"
chmod 700 "$workdir"
[ ${#as_server_user[@]} -gt 0 ] && chown postgres: "$workdir"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"

stop_server() {
    "${as_server_user[@]}" "$bindir/pg_ctl" -D "$workdir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$workdir"
}
trap stop_server EXIT

"${as_server_user[@]}" "$bindir/initdb" -D "$workdir/data" -U postgres --auth=trust \
    --encoding=UTF8 --locale=C.UTF-8 >"$workdir/initdb.log" 2>&1 \
    || { cat "$workdir/initdb.log" >&2; exit 1; }
# A test server: durability settings off (the data is thrown away), loopback only.
"${as_server_user[@]}" "$bindir/pg_ctl" -D "$workdir/data" -l "$workdir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $workdir -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null || { cat "$workdir/server.log" >&2; exit 1; }
"$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres cxr

export DATABASE_URL="postgres://postgres@127.0.0.1:$port/cxr"
echo "=== PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port: $* ==="
"$@"
