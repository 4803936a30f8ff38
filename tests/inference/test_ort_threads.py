"""$CXR_ORT_THREADS: a whole number of 1 or more, else a ValueError that names the variable and
what it takes (it was a bare `invalid literal for int()` traceback from deep in Predictor.load)."""
from __future__ import annotations

import os

import pytest

from cxr.inference.predictor import default_threads


@pytest.mark.parametrize(("value", "threads"), [("1", 1), ("3", 3), (" 4 ", 4)])
def test_a_whole_number_is_the_thread_count(monkeypatch, value, threads):
    monkeypatch.setenv("CXR_ORT_THREADS", value)
    assert default_threads() == threads


@pytest.mark.parametrize("value", ["", "  "])
def test_unset_or_blank_is_the_default(monkeypatch, value):
    monkeypatch.setenv("CXR_ORT_THREADS", value)
    assert default_threads() == max(1, min(2, os.cpu_count() or 1))


@pytest.mark.parametrize("value", ["abc", "1.5", "0", "-2", "two"])
def test_anything_else_is_refused_naming_the_variable(monkeypatch, value):
    monkeypatch.setenv("CXR_ORT_THREADS", value)
    with pytest.raises(ValueError, match=rf"^CXR_ORT_THREADS='{value}' is not a number of threads: "
                                         r"set it to a whole number, 1 or more"):
        default_threads()
