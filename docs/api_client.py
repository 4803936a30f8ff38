"""A small typed client of the CXR screening API, written against /api/v1/openapi.json.

Standard library only (copy this file into your project):

    from api_client import ScreeningClient
    client = ScreeningClient("https://cxr.example.org", key="...")   # key: the API key page
    reading = client.upload("chest.png")            # retried safely: an Idempotency-Key is sent
    print(reading["outcome"], reading["probabilities"], reading["disclaimer"])
    for reading in client.readings():               # every page, following `next`
        ...
    client.delete(reading["id"])

A screening aid, not a diagnosis: show `disclaimer` wherever you show a reading.
Tested by webapp/screening/tests/test_api_server.py against gunicorn.
"""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Literal, TypedDict


class Warning(TypedDict):  # noqa: A001 - the schema's name
    code: str | None
    message: str


class Reading(TypedDict, total=False):
    """components/schemas/Reading (patient_reference and note: doctors' accounts only)."""

    id: int
    created_at: str
    outcome: Literal["covid", "pneumonia", "normal", "uncertain"]
    headline: str
    label: Literal["covid", "pneumonia", "normal"] | None
    probabilities: dict[str, float]
    uncertain: bool
    prediction_set: list[str] | None
    set_confidence: float | None
    warnings: list[Warning]
    model_version: str
    disclaimer: str
    links: dict[str, str]
    patient_reference: str
    note: str


class ApiError(Exception):
    """A problem answer (RFC 9457): `status`, the stable `code` and the `detail` for people."""

    def __init__(self, status: int, problem: dict):
        self.status = status
        self.code: str = problem.get("code", "unknown")
        self.detail: str = problem.get("detail", "")
        self.problem = problem
        super().__init__(f"{status} {self.code}: {self.detail}")


class ScreeningClient:
    def __init__(self, base_url: str, key: str, timeout: float = 120, retries: int = 3,
                 headers: dict[str, str] | None = None):
        self.api = base_url.rstrip("/") + "/api/v1"
        self.timeout, self.retries = timeout, retries
        self.headers = {"Authorization": f"Token {key}", "Accept": "application/json",
                        **(headers or {})}

    def _call(self, method: str, url: str, body: bytes | None = None,
              headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        """One request; a 429 or 409 is retried after its Retry-After, up to `retries` times."""
        for attempt in range(self.retries + 1):
            request = urllib.request.Request(url, data=body, method=method,
                                             headers={**self.headers, **(headers or {})})
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return response.status, response.read()
            except urllib.error.HTTPError as error:
                payload = error.read()
                if error.code in (409, 429) and attempt < self.retries:
                    time.sleep(float(error.headers.get("Retry-After", "1")))
                    continue
                try:
                    problem = json.loads(payload)
                except ValueError:
                    problem = {"code": "not_json", "detail": payload[:200].decode(errors="replace")}
                raise ApiError(error.code, problem) from None
        raise AssertionError("unreachable")

    def upload(self, path: str | Path, idempotency_key: str | None = None) -> Reading:
        """Screen one X-ray (PNG, JPEG, TIFF, BMP or DICOM). The same `idempotency_key` (one is made if
        none is given) makes a retry of a lost answer return the same reading."""
        path = Path(path)
        boundary = uuid.uuid4().hex
        body = (f'--{boundary}\r\nContent-Disposition: form-data; name="image"; '
                f'filename="{path.name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
                ).encode() + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}",
                   "Idempotency-Key": idempotency_key or str(uuid.uuid4())}
        _status, payload = self._call("POST", f"{self.api}/readings/", body, headers)
        return json.loads(payload)

    def reading(self, reading_id: int) -> Reading:
        return json.loads(self._call("GET", f"{self.api}/readings/{reading_id}/")[1])

    def readings(self, page_size: int = 100) -> Iterator[Reading]:
        """Every reading, newest first, page after page (`next` links)."""
        url: str | None = f"{self.api}/readings/?page_size={page_size}"
        while url:
            page = json.loads(self._call("GET", url)[1])
            yield from page["results"]
            url = page["next"]

    def heatmap_png(self, reading_id: int) -> bytes:
        return self._call("GET", f"{self.api}/readings/{reading_id}/heatmap.png")[1]

    def delete(self, reading_id: int) -> None:
        self._call("DELETE", f"{self.api}/readings/{reading_id}/")
