"""No log line holds the secret of a mailed link: a password-reset link's token (Django redirects
/accounts/reset/<uidb64>/<token>/ to .../set-password/, but the first request, token and all,
was written to the access log) or an email-verification link's. Whoever reads the logs (an
operator, a log service) could otherwise set the account's password."""
from __future__ import annotations

import datetime
from types import SimpleNamespace

from gunicorn.config import Config

from webapp.tests.support.gunicorn_conf import load_gunicorn_conf
from webapp.tests.test_logging import run

TOKEN = "cz9k1a-0123456789abcdef0123456789abcdef"
RESET_PATH = f"/accounts/reset/MTIz/{TOKEN}/"
VERIFY_PATH = f"/accounts/verify-email/MTIz/{TOKEN}/"


def access_line(tmp_path, path: str, referer: str = "-") -> str:
    """The line gunicorn, configured by webapp/gunicorn.conf.py, writes for a GET of `path`."""
    conf = load_gunicorn_conf()
    cfg = Config()
    log = tmp_path / "access.log"
    cfg.set("accesslog", str(log))
    logger = conf["logger_class"](cfg)
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": path, "PATH_INFO": path, "QUERY_STRING": "",
               "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1", "HTTP_REFERER": referer}
    response = SimpleNamespace(status="302 Found", sent=0, headers=[("Location", path)])
    logger.access(response, SimpleNamespace(headers=[("REFERER", referer)]), environ,
                  datetime.timedelta(milliseconds=5))
    for handler in logger.access_log.handlers:
        handler.flush()
    return log.read_text()


def test_the_access_log_hides_a_reset_links_token(tmp_path):
    line = access_line(tmp_path, RESET_PATH, referer=f"https://cxr.example.org{VERIFY_PATH}")
    assert TOKEN not in line, line
    # What the request was stays readable: the page and the account's part of the link.
    assert '"GET /accounts/reset/MTIz/[token]/ HTTP/1.1" 302 ' in line, line


def test_the_access_log_hides_a_verification_links_token(tmp_path):
    line = access_line(tmp_path, VERIFY_PATH)
    assert TOKEN not in line, line
    assert '"GET /accounts/verify-email/MTIz/[token]/ HTTP/1.1" 302 ' in line, line


def test_the_access_log_keeps_the_set_password_step(tmp_path):
    """The redirect's target holds no secret (the token waits in the session)."""
    line = access_line(tmp_path, "/accounts/reset/MTIz/set-password/")
    assert '"GET /accounts/reset/MTIz/set-password/ HTTP/1.1" 302 ' in line, line


def test_the_apps_own_log_hides_the_token(tmp_path):
    """runserver's request lines (django.server) and a failed request's (django.request)."""
    code = ("import logging\n"
            f"logging.getLogger('django.server').info('\"%s\" %s %s', 'GET {RESET_PATH} HTTP/1.1', '302', '0')\n"
            f"logging.getLogger('django.request').error('Internal Server Error: %s', '{VERIFY_PATH}')\n")
    lines = run(tmp_path, code)
    assert len(lines) == 2, lines
    assert not [line for line in lines if TOKEN in line], lines
    assert "GET /accounts/reset/MTIz/[token]/ HTTP/1.1" in lines[0]
    assert "Internal Server Error: /accounts/verify-email/MTIz/[token]/" in lines[1]
