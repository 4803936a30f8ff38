"""A small typed client of the CXR screening API, written against /api/v1/openapi.json.

Standard library only (copy this file into your project):

    from api_client import ScreeningClient
    client = ScreeningClient("https://cxr.example.org", key="...")   # key: the API key page
    reading = client.upload("chest.png")            # retried safely: see upload()
    print(reading["outcome"], reading["probabilities"], reading["disclaimer"], reading["emergency"])
    for reading in client.readings():               # every page, following `next`
        ...
    client.delete(reading["id"])

A screening aid, not a diagnosis: show `disclaimer` and `emergency` (what to do now in an
emergency, whatever the reading says) wherever you show a reading.
Tested by webapp/screening/tests/test_api_server.py against gunicorn.
"""
from __future__ import annotations

import http.client
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
    taken_on: str | None  # the day the X-ray was taken (DICOM header), YYYY-MM-DD
    outcome: Literal["covid", "pneumonia", "normal", "uncertain"]
    headline: str
    label: Literal["covid", "pneumonia", "normal"] | None
    probabilities: dict[str, float]
    heatmap_class: Literal["covid", "pneumonia", "normal"] | None  # the class the heat map shows
    low_confidence: bool
    ood_score: float | None
    reason: str | None
    uncertain: bool
    prediction_set: list[str] | None
    set_confidence: float | None
    warnings: list[Warning]
    model_version: str
    source_format: Literal["png", "jpeg", "tiff", "bmp", "dicom", ""]
    original_filename: str  # deprecated: always ""
    width: int
    height: int
    disclaimer: str  # show it with the reading
    emergency: str  # show it with the reading too
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


class AnswerLost(ConnectionError):
    """The connection failed or timed out before an answer came, every time it was tried. For an
    upload, `idempotency_key` is the key it was sent with: upload again with it later, and a
    reading stored meanwhile is answered instead of a second one."""

    def __init__(self, error: Exception, idempotency_key: str | None = None):
        self.idempotency_key = idempotency_key
        super().__init__(f"no answer ({error}); Idempotency-Key: {idempotency_key}")


# What a lost answer looks like to urllib: a reset or closed connection, a timeout.
_LOST = (ConnectionError, TimeoutError, http.client.RemoteDisconnected, urllib.error.URLError)


class ScreeningClient:
    # Seconds before the first resend of a request whose answer was lost; doubled each time.
    backoff = 1.0

    def __init__(self, base_url: str, key: str, timeout: float = 120, retries: int = 3,
                 headers: dict[str, str] | None = None):
        self.api = base_url.rstrip("/") + "/api/v1"
        self.timeout, self.retries = timeout, retries
        self.headers = {"Authorization": f"Token {key}", "Accept": "application/json",
                        **(headers or {})}

    def _call(self, method: str, url: str, body: bytes | None = None,
              headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        """One request; a 429 or 409 is retried after its Retry-After, up to `retries` times. A
        lost answer (connection reset or closed, timeout) is retried too, with backoff, where
        sending again is safe: a GET, or a POST with an Idempotency-Key."""
        headers = {**self.headers, **(headers or {})}
        key = headers.get("Idempotency-Key")
        resend = method == "GET" or key is not None
        for attempt in range(self.retries + 1):
            request = urllib.request.Request(url, data=body, method=method, headers=headers)
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
            except _LOST as lost:
                if resend and attempt < self.retries:
                    time.sleep(self.backoff * 2**attempt)
                    continue
                raise AnswerLost(lost, key) from lost
        raise AssertionError("unreachable")

    def upload(self, path: str | Path, idempotency_key: str | None = None) -> Reading:
        """Screen one X-ray (PNG, JPEG, TIFF, BMP or DICOM). It is sent with `idempotency_key`
        (a new UUID if none is given): a lost answer (connection reset, timeout) is retried with
        the same key, up to `retries` times with backoff, and answers the reading the first try
        stored, never a second one. If every try is lost, AnswerLost carries the key: call
        upload(path, that key) later. Pass your own key to keep it with your records."""
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
