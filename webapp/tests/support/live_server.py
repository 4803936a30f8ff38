"""A real gunicorn server of the app in a temporary data folder, for tests that kill it.

`AppServer` migrates a fresh SQLite database under its own DATA_DIR, creates an account with an
API key, starts gunicorn on a free loopback port and stops it again; `post_upload` sends a
multipart upload with nothing but the standard library.
"""
from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parents[3]
GUNICORN = Path(sys.executable).with_name("gunicorn")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def request(port: int, method: str, path: str, body: bytes | None = None,
            headers: dict | None = None, timeout: float = 120) -> tuple[int, bytes]:
    """One HTTP request to 127.0.0.1:`port`: (status, body). Also scripts/fuzz_api.py's."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def multipart(field: str, filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; "
        f"filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    ).encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


class AppServer:
    def __init__(self, data_dir: Path, model_dir: Path, extra_args: tuple[str, ...] = (),
                 extra_env: dict[str, str] | None = None):
        self.data_dir = Path(data_dir)
        self.port = free_port()
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("DATABASE_URL", "DJANGO_ENV", "SECRET_KEY", "PRIVATE_MEDIA_ROOT")}
        self.env.update(DATA_DIR=str(self.data_dir), CXR_MODEL_DIR=str(model_dir),
                        DJANGO_DEBUG="0", CXR_ORT_THREADS="1", **(extra_env or {}))
        self.extra_args = extra_args
        self.process: subprocess.Popen | None = None
        self.api_key = ""

    @property
    def media_root(self) -> Path:
        return self.data_dir / "private"

    @property
    def database(self) -> Path:
        return self.data_dir / "db.sqlite3"

    def manage(self, *args: str) -> str:
        result = subprocess.run([sys.executable, "manage.py", *args], cwd=REPO_DIR, env=self.env,
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def prepare(self) -> None:
        self.manage("migrate", "--noinput")
        script = (
            "from webapp.accounts.models import User; from webapp.screening.models import ApiToken;"
            "u = User.objects.create_user(email='crash@example.org', password=None, full_name='C');"
            "print(ApiToken.issue(u)[1])"
        )
        self.api_key = self.manage("shell", "-c", script).strip().splitlines()[-1]

    def start(self) -> None:
        self.process = subprocess.Popen(
            [str(GUNICORN), "webapp.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
             *self.extra_args],
            cwd=REPO_DIR, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            start_new_session=True,
        )
        self.wait_until_ready()

    def wait_until_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.process.stderr.read().decode()[-2000:]}")
            try:
                status, _ = self.request("GET", "/api/v1/openapi.json", timeout=5)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise TimeoutError("gunicorn did not answer in time")

    def worker_pids(self) -> list[int]:
        """The gunicorn workers: the master's children, found by their parent pid in /proc."""
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                pids.append(int(stat.parent.name))
        return sorted(pids)

    def peak_mb_per_worker(self) -> list[float]:
        """Peak resident memory (VmHWM) of each worker so far, in MB (10^6 bytes)."""
        peaks = []
        for pid in self.worker_pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            kib = int(re.search(r"^VmHWM:\s+(\d+) kB", status, re.M).group(1))
            peaks.append(kib * 1024 / 1e6)
        return peaks

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict | None = None, timeout: float = 120) -> tuple[int, bytes]:
        return request(self.port, method, path, body, headers, timeout)

    def post_upload(self, filename: str, data: bytes, timeout: float = 120) -> tuple[int, dict]:
        body, content_type = multipart("image", filename, data)
        status, raw = self.request("POST", "/api/v1/readings/", body, {
            "Content-Type": content_type, "Authorization": f"Token {self.api_key}",
        }, timeout=timeout)
        return status, json.loads(raw or b"{}")
