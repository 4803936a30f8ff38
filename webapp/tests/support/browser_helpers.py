"""Helpers shared by the browser tests."""
from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.test import Client

# The Playwright locale each language of the site is tested in.
BROWSER_LOCALES = {"en": "en-US", "id": "id-ID"}
# The two screens most browser tests look at a page on: the narrowest phone the app serves
# and a laptop.
VIEWPORTS = {"phone": {"width": 360, "height": 780}, "desktop": {"width": 1280, "height": 900}}


@contextmanager
def signed_in_context(browser, base_url: str, user, *, extra_cookies: tuple[dict, ...] = (),
                      **context_options) -> Iterator:
    """A browser context already signed in as `user`, closed afterwards.

    A browser test is about the page, not the login form: typing the password on every test
    is slow and fails for reasons that have nothing to do with the page. So Django's test
    Client logs `user` in (force_login), and the browser gets that session's cookie for
    `base_url` (then `extra_cookies`, e.g. a django_language cookie). `context_options` go to
    `browser.new_context` (viewport, locale, timezone_id, java_script_enabled...)."""
    client = Client()
    client.force_login(user)
    context = browser.new_context(**context_options)
    try:
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "url": base_url,
                              "value": client.cookies[settings.SESSION_COOKIE_NAME].value},
                             *extra_cookies])
        yield context
    finally:
        context.close()


def language_cookie(base_url: str, language: str) -> dict:
    """The site's django_language cookie for `base_url`: its pages in `language`, whatever
    language the browser asks for."""
    return {"name": "django_language", "value": language, "url": base_url}


@contextmanager
def signed_in_context_in(browser, base_url: str, user, language: str,
                         **context_options) -> Iterator:
    """`signed_in_context` in `language` ("en", "id"): the browser's locale is that language's
    (BROWSER_LOCALES) and the site's language cookie asks for it, so dates and numbers the
    browser writes and the pages the site sends agree."""
    with signed_in_context(browser, base_url, user, extra_cookies=(language_cookie(base_url, language),),
                           locale=BROWSER_LOCALES[language], **context_options) as context:
        yield context


def record_page_errors(page, ignored_statuses: frozenset[int] = frozenset()) -> list[str]:
    """Collect console errors (a CSP violation shows up as one), uncaught script errors and
    HTTP responses >= 400 other than `ignored_statuses`; the list fills as the page is used."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("response", lambda response: errors.append(f"HTTP {response.status} {response.url}")
            if response.status >= 400 and response.status not in ignored_statuses else None)
    return errors


def admin_list_fits(page) -> bool:
    """Whether the admin change list's table on `page` fits its box: no column behind a
    sideways scroll."""
    return page.evaluate("(r => r.scrollWidth <= r.clientWidth)"
                         "(document.querySelector('#changelist .results'))")


def viewer_transform(page) -> tuple[float, float, float]:
    """(scale, x, y) of the X-ray viewer's stack (the X-ray and its heat map) on `page`, read
    from its CSS transform: (1, 0, 0) when it is neither zoomed nor moved."""
    matrix = page.locator("[data-viewer-stack]").evaluate("el => getComputedStyle(el).transform")
    if matrix == "none":
        return 1.0, 0.0, 0.0
    a, _b, _c, _d, e, f = (float(v) for v in re.findall(r"-?[\d.]+", matrix))
    return a, e, f


def log_in_on_redirect(page, base: str, path: str, email: str, password: str) -> None:
    """Open `path` logged out, sign in on the login page it redirects to, and wait to be back
    on `path` (what a person does who follows a link before signing in)."""
    page.goto(f"{base}{path}")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}{path}")


def contrast_ratio(colour_a: str, colour_b: str) -> float:
    """WCAG contrast ratio of two computed CSS colours ("rgb(r, g, b)" or "rgba(...)" opaque)."""

    def luminance(colour: str) -> float:
        r, g, b = (int(v) / 255 for v in re.findall(r"[\d.]+", colour)[:3])
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(colour_a), luminance(colour_b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def touch_gesture(page, start: list[tuple[float, float]], end: list[tuple[float, float]], steps: int = 10,
                  pause_ms: float = 0) -> None:
    """Fingers put down at `start` (one point each), moved in `steps` straight steps to `end`, and
    lifted, sent as a phone's touch screen sends them (CDP Input.dispatchTouchEvent; Playwright's
    touchscreen only taps): a swipe, a drag or a pinch. `pause_ms` between the moves."""
    cdp = page.context.new_cdp_session(page)

    def send(kind: str, points: list[tuple[float, float]]) -> None:
        cdp.send("Input.dispatchTouchEvent", {
            "type": kind, "touchPoints": [{"x": x, "y": y, "id": i} for i, (x, y) in enumerate(points)]})

    send("touchStart", start)
    for step in range(1, steps + 1):
        share = step / steps
        send("touchMove", [(x0 + (x1 - x0) * share, y0 + (y1 - y0) * share)
                           for (x0, y0), (x1, y1) in zip(start, end, strict=True)])
        if pause_ms:
            page.wait_for_timeout(pause_ms)
    send("touchEnd", [])
    cdp.detach()
