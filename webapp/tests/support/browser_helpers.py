"""Helpers shared by the browser tests."""
from __future__ import annotations


def record_page_errors(page, ignored_statuses: frozenset[int] = frozenset()) -> list[str]:
    """Collect console errors (a CSP violation shows up as one), uncaught script errors and
    HTTP responses >= 400 other than `ignored_statuses`; the list fills as the page is used."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("response", lambda response: errors.append(f"HTTP {response.status} {response.url}")
            if response.status >= 400 and response.status not in ignored_statuses else None)
    return errors
