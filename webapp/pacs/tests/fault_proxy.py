"""A PACS that misbehaves on request, for the tests: a proxy in front of the test Orthanc
(scripts/with-orthanc.sh) that passes requests through, or answers each one as `mode` says:

* "ok": passes through;
* "503": HTTP 503 Service Unavailable (a PACS overloaded or restarting);
* "stow503": 503 to STOW-RS (POST) only: studies are read, their write-backs fail;
* "html200": GET answered 200 with an HTML page (a proxy's maintenance page, an SSO login);
* "stowempty": STOW-RS (POST) passed on with its body dropped, as a proxy that mishandles chunked
  uploads does: Orthanc answers 200 and stores nothing;
* "stowclaim": STOW-RS answered 200, each instance sent listed as stored, none passed on: a PACS
  that says it stored what a filter of its own then refused (an Orthanc Lua filter did).
"""
from __future__ import annotations

import http.server
import json
import os
import threading
from io import BytesIO
from urllib.parse import urlsplit

import pydicom
import requests


class FaultProxy:
    def __init__(self):
        self.mode = "ok"
        self.requests: list[str] = []
        upstream = os.environ["PACS_ORTHANC_URL"]
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self, status: int, body: bytes, content_type: str = "text/plain"):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _do(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                proxy.requests.append(f"{self.command} {self.path}")
                mode = proxy.mode
                if mode == "503" or (mode == "stow503" and self.command == "POST"):
                    return self._answer(503, b"Service Unavailable")
                if mode == "html200" and self.command == "GET":
                    return self._answer(200, b"<html><body>Maintenance</body></html>",
                                        "text/html; charset=utf-8")
                if mode == "stowempty" and self.command == "POST":
                    body = b""
                if mode == "stowclaim" and self.command == "POST":
                    return self._answer(200, claimed(self.headers.get("Content-Type", ""), body or b""),
                                        "application/dicom+json")
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("host", "content-length", "connection")}
                answer = requests.request(self.command, upstream + self.path, headers=headers,
                                          data=body, timeout=60)
                self.send_response(answer.status_code)
                for key, value in answer.headers.items():
                    if key.lower() not in ("transfer-encoding", "connection", "content-length",
                                           "content-encoding"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = do_PUT = do_DELETE = _do

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        pacs = urlsplit(os.environ["PACS_DICOMWEB_URL"])
        # The test PACS's DICOMweb root with its credentials, on the proxy's port.
        self.url = (f"http://{pacs.username}:{pacs.password}@127.0.0.1:"
                    f"{self.server.server_address[1]}{pacs.path}")

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def claimed(content_type: str, body: bytes) -> bytes:
    """A STOW-RS answer that lists every instance of the multipart `body` as stored."""
    boundary = content_type.split("boundary=")[1].split(";")[0].strip('"').encode()
    references = []
    for part in body.split(b"--" + boundary)[1:-1]:
        ds = pydicom.dcmread(BytesIO(part.split(b"\r\n\r\n", 1)[1].rstrip(b"\r\n")))
        references.append({"00081150": {"vr": "UI", "Value": [str(ds.SOPClassUID)]},
                           "00081155": {"vr": "UI", "Value": [str(ds.SOPInstanceUID)]}})
    return json.dumps({"00081199": {"vr": "SQ", "Value": references}}).encode()
