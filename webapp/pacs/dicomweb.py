"""The PACS over DICOMweb (QIDO-RS, WADO-RS, STOW-RS) with the maintained `dicomweb-client`.

Credentials may be given in the URL (`https://user:password@pacs.example/dicom-web`, HTTP Basic,
as Orthanc's RegisteredUsers expect): they are taken out of it and sent by the session, so no
address this app logs or prints carries them.
"""
from __future__ import annotations

import logging
from urllib.parse import unquote, urlsplit, urlunsplit

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# Seconds to connect and to wait for each answer: a PACS that stops answering fails the job
# (which the queue, then the next poll, takes up again) instead of holding a worker for ever.
TIMEOUT = (10, 120)


class PacsRefused(Exception):
    """The PACS refuses what we ask (wrong password, wrong address): no retry helps; fix the
    settings."""


# Libraries that log every request (dicomweb-client: "search for studies", twice per query,
# ~190 lines a poll round of a busy PACS) or every step (highdicom: "copy attributes of module",
# 7 lines a write-back) at INFO: set to WARNING where this app uses them, unless the site's
# LOGGING gives them a level of its own.
QUIETED_LOGGERS = ("dicomweb_client", "highdicom")


def quiet_libraries() -> None:
    for name in QUIETED_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.WARNING)


class PacsUnavailable(Exception):
    """A job stopped by an outage (the PACS unreachable, failing or answering a page of its
    own), in one line: the queue logs the traceback of a job's error, and the frames of
    requests and dicomweb-client under an expected 503 tell nothing. The queue retries the job."""


class NotDicomweb(requests.RequestException):
    """The PACS's address answered, successfully, with something that is not the DICOM JSON
    asked for: a proxy's maintenance page or a single sign-on login (200, text/html). Taken for
    an outage: tried again at the next poll."""

    def __init__(self, response: requests.Response):
        super().__init__(response=response)
        self.content_type = (response.headers.get("Content-Type") or "no content type")
        self.content_type = self.content_type.split(";")[0].strip()


def _answers_what_was_asked(response: requests.Response, *args, **kwargs):
    """A response hook: a successful answer to a request for JSON must be JSON (a 204 or an
    empty body is no results), and no DICOMweb answer is an HTML page."""
    if not 200 <= response.status_code < 300 or response.status_code == 204:
        return response
    content_type = (response.headers.get("Content-Type") or "").lower()
    asked = (response.request.headers.get("Accept") or "").lower() if response.request else ""
    if content_type.startswith("text/html") or (
            "json" in asked and "json" not in content_type and response.content.strip()):
        raise NotDicomweb(response)
    return response


def split_credentials(url: str) -> tuple[str, tuple[str, str] | None]:
    """The URL without user:password, and those (unquoted) or None."""
    parts = urlsplit(url)
    if parts.username is None:
        return url, None
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    return (urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment)),
            (unquote(parts.username), unquote(parts.password or "")))


def client(url: str | None = None):
    """A DICOMwebClient for settings.PACS_DICOMWEB_URL (or `url`)."""
    from dicomweb_client.api import DICOMwebClient

    quiet_libraries()
    url = url or settings.PACS_DICOMWEB_URL
    if not url:
        raise ImproperlyConfigured("Set PACS_DICOMWEB_URL to the PACS's DICOMweb root "
                                   "(e.g. http://127.0.0.1:8042/dicom-web): see docs/pacs.md")
    url, credentials = split_credentials(url)
    session = requests.Session()
    session.auth = credentials
    session.hooks["response"].append(_answers_what_was_asked)
    try:
        web = DICOMwebClient(url=url.rstrip("/"), session=session, timeout=TIMEOUT)
    except ValueError as exc:
        raise ImproperlyConfigured(f"PACS_DICOMWEB_URL is not a DICOMweb root: {exc}") from None
    # No retries inside a request: the client's default (5 attempts with back-off, on any error)
    # held a job for 5 x TIMEOUT against a PACS that stopped answering, past the queue's job
    # timeout. A failed request fails its job; the queue's retries, then the next poll, try again.
    web.set_http_retry_params(retry=False)
    return web


def http_status(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None)


def is_transient(exc: BaseException) -> bool:
    """Worth trying again later: the PACS unreachable, slow, overloaded or failing (5xx)."""
    if isinstance(exc, (requests.ConnectionError, requests.Timeout, NotDicomweb,
                        PacsUnavailable)):
        return True
    status = http_status(exc)
    return status is not None and (status >= 500 or status in (408, 429))


def describe(exc: BaseException) -> str:
    """One line about a failed PACS request, without credentials or a traceback."""
    if isinstance(exc, PacsUnavailable):
        return str(exc)
    if isinstance(exc, NotDicomweb):
        url = split_credentials(getattr(exc.response, "url", "") or "")[0]
        return (f"the PACS answered {exc.content_type}, not DICOM JSON, for {url} (a maintenance "
                "or login page in front of the PACS?)")
    status = http_status(exc)
    if status in (401, 403):
        return (f"the PACS refused the credentials (HTTP {status}): check the user and password "
                "in PACS_DICOMWEB_URL")
    if status is not None:
        reason = getattr(exc.response, "reason", "") or ""
        url = split_credentials(getattr(exc.response, "url", "") or "")[0]
        return f"the PACS answered HTTP {status} {reason} for {url}".strip()
    if isinstance(exc, requests.Timeout):
        return "the PACS did not answer in time"
    if isinstance(exc, requests.ConnectionError):
        return "the PACS cannot be reached (connection failed)"
    return f"{type(exc).__name__}: {exc}"


def refuse_if_unauthorised(exc: BaseException) -> None:
    if http_status(exc) in (401, 403):
        raise PacsRefused(describe(exc)) from exc


def refuse_if_not_a_pacs(exc: BaseException) -> None:
    """For a failed search for studies: a refused password, or an address that is no DICOMweb
    root (any other 4xx answer), raise PacsRefused with what to fix."""
    refuse_if_unauthorised(exc)
    status = http_status(exc)
    if status is not None and 400 <= status < 500 and not is_transient(exc):
        raise PacsRefused(f"{describe(exc)}: is PACS_DICOMWEB_URL the PACS's DICOMweb root "
                          "(for Orthanc: http://host:8042/dicom-web)?") from exc
