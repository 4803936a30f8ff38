"""Plain helpers of the security tests: files on disk and the project's URL patterns."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from django.urls import URLPattern, URLResolver, get_resolver


def stored_files(root) -> list[Path]:
    """Every file under `root` (temporary files included: they must not be left either)."""
    root = Path(root)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@dataclass
class Route:
    """One URL pattern of the project, with what a test needs to call it."""

    name: str  # "namespace:name", or "" for an unnamed pattern
    pattern: str  # the route as written, e.g. "screening/readings/<id:pk>/"
    callback: object
    kwarg_names: tuple[str, ...]

    @property
    def module(self) -> str:
        return getattr(self.callback, "__module__", "") or ""

    @property
    def csrf_exempt(self) -> bool:
        return bool(getattr(self.callback, "csrf_exempt", False))

    @property
    def takes_object_id(self) -> bool:
        return "pk" in self.kwarg_names

    def url(self, pk: int = 1) -> str:
        """A concrete path for this pattern, with `pk` for an object id and samples elsewhere."""
        path = self.pattern
        # Regular-expression routes: a group of alternatives gets its first one, others "x".
        path = re.sub(r"\(\?P<\w+>([\w|]+)\)", lambda m: m.group(1).split("|")[0], path)
        path = re.sub(r"\(\?P<\w+>[^)]*\)", "x", path)
        path = path.replace("^", "").replace("$", "").replace("\\", "")
        path = re.sub(r"<(?:int|id):pk>", str(pk), path)
        path = re.sub(r"<(?:int|id):\w+>", "1", path)
        path = re.sub(r"<uuid:\w+>", "00000000-0000-0000-0000-000000000000", path)
        path = re.sub(r"<(?:\w+:)?\w+>", "x", path)
        return "/" + path.lstrip("/")


def all_routes() -> list[Route]:
    """Every URL pattern reachable from ROOT_URLCONF, flattened."""
    routes: list[Route] = []

    def walk(patterns, prefix: str, namespace: str) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                ns = namespace
                if entry.namespace:
                    ns = f"{namespace}{entry.namespace}:"
                walk(entry.url_patterns, prefix + str(entry.pattern), ns)
            elif isinstance(entry, URLPattern):
                kwargs = tuple(entry.pattern.regex.groupindex)
                name = f"{namespace}{entry.name}" if entry.name else ""
                routes.append(Route(name, prefix + str(entry.pattern), entry.callback, kwargs))

    walk(get_resolver().url_patterns, "", "")
    return routes
