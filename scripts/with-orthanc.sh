#!/usr/bin/env bash
# Run a command against a throwaway Orthanc PACS with DICOMweb:
#
#     scripts/with-orthanc.sh .venv/bin/python -m pytest webapp/pacs
#
# Starts Debian's Orthanc (packages `orthanc` and `orthanc-dicomweb`) with a configuration of its
# own in a temporary folder (storage, index, log), listening on 127.0.0.1 only, on free HTTP and
# DICOM ports, and removes the server and every stored study afterwards. Like a hospital's PACS
# it asks for a user and password (HTTP Basic; random, made here) and caps each query's answer
# (LimitFindResults 20, small so the tests cross it). For the command it exports
# PACS_DICOMWEB_URL (the DICOMweb root, credentials in it, as docs/pacs.md configures the app),
# PACS_ORTHANC_URL (the REST root, without them), PACS_ORTHANC_AUTH (user:password, for
# scripts that send studies) and PACS_QUERY_LIMIT (the cap, the app's setting for it). Nothing of a system-wide
# Orthanc (/etc/orthanc, /var/lib/orthanc, its service) is touched.
#
# Without Orthanc or its DICOMweb plugin (a developer laptop) it prints why and exits 0 without
# running the command; under CI=true a missing Orthanc is an error instead, as in
# scripts/with-postgres.sh, so CI cannot skip the PACS tests silently.
set -euo pipefail

if [ $# -eq 0 ]; then
    echo "usage: $0 COMMAND [ARGS...]" >&2
    exit 2
fi

orthanc="$(command -v Orthanc || true)"
[ -z "$orthanc" ] && [ -x /usr/sbin/Orthanc ] && orthanc=/usr/sbin/Orthanc
plugin=""
for candidate in /usr/share/orthanc/plugins/libOrthancDicomWeb.so /usr/lib/orthanc/libOrthancDicomWeb.so*; do
    if [ -e "$candidate" ]; then plugin="$candidate"; break; fi
done
if [ -z "$orthanc" ] || [ -z "$plugin" ]; then
    if [ "${CI:-}" = "true" ]; then
        echo "with-orthanc: Orthanc or its DICOMweb plugin not found, and CI=true: install 'orthanc orthanc-dicomweb'." >&2
        exit 1
    fi
    echo "=== SKIPPED: the PACS pass (no Orthanc with DICOMweb found; apt-get install orthanc orthanc-dicomweb) ==="
    exit 0
fi

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

workdir="$(mktemp -d "${TMPDIR:-/tmp}/cxr-orthanc.XXXXXX")"
http_port="$(free_port)"
user=cxr
password="$(python3 -c 'import secrets; print(secrets.token_urlsafe(12))')"
limit=20
dicom_port="$(free_port)"
pid=""

stop_server() {
    if [ -n "$pid" ]; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -rf "$workdir"
}
trap stop_server EXIT

mkdir -p "$workdir/storage" "$workdir/index" "$workdir/logs"
# A test server: loopback only, one user, no DICOM peers, nothing kept after the run.
cat >"$workdir/orthanc.json" <<JSON
{
  "Name": "CXR-TEST-PACS",
  "StorageDirectory": "$workdir/storage",
  "IndexDirectory": "$workdir/index",
  "HttpPort": $http_port,
  "DicomPort": $dicom_port,
  "DicomAet": "CXRTESTPACS",
  "RemoteAccessAllowed": false,
  "AuthenticationEnabled": true,
  "RegisteredUsers": {"$user": "$password"},
  "LimitFindResults": $limit,
  "HttpServerEnabled": true,
  "DicomServerEnabled": true,
  "StorageCompression": false,
  "SaveJobs": false,
  "HttpThreadsCount": 8,
  "Plugins": ["$plugin"],
  "DicomWeb": {"Enable": true, "Root": "/dicom-web/", "EnableWado": false,
               "Host": "127.0.0.1:$http_port", "Ssl": false,
               "StudiesMetadata": "Full", "SeriesMetadata": "Full"}
}
JSON

"$orthanc" --logdir="$workdir/logs" "$workdir/orthanc.json" >"$workdir/stdout.log" 2>&1 &
pid=$!

url="http://127.0.0.1:$http_port"
answers() {  # the server is up: it answers, if only to say that it wants the password
    python3 - "$1" <<'PY' 2>/dev/null
import sys, urllib.error, urllib.request
try:
    urllib.request.urlopen(sys.argv[1], timeout=1)
except urllib.error.HTTPError as exc:
    sys.exit(exc.code != 401)
except OSError:
    sys.exit(1)
PY
}
for _ in $(seq 150); do
    if answers "$url/system"; then
        break
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "with-orthanc: Orthanc exited at start:" >&2
        cat "$workdir/stdout.log" "$workdir"/logs/* >&2 2>/dev/null || true
        exit 1
    fi
    sleep 0.2
done

export PACS_ORTHANC_URL="$url"
export PACS_ORTHANC_AUTH="$user:$password"
export PACS_DICOMWEB_URL="http://$user:$password@127.0.0.1:$http_port/dicom-web"
export PACS_QUERY_LIMIT="$limit"
echo "=== Orthanc $("$orthanc" --version 2>/dev/null | head -n 1 | awk '{print $NF}') with DICOMweb on 127.0.0.1:$http_port: $* ==="
"$@"
