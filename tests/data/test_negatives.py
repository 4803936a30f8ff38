"""The non-X-ray set used to measure the OOD guard: big enough, honest about its bases,
deterministic, and made of files the decoder reads like any upload."""
from __future__ import annotations

from cxr.data.negatives import build_negative_set, describe
from cxr.inference import decode_image


def test_negative_set_is_large_varied_and_deterministic():
    items = build_negative_set()
    summary = describe(items)
    assert summary["n"] == len(items) >= 200
    assert len({item.name for item in items}) == len(items)
    bases = {item.base for item in items if item.base != "synthetic"}
    assert summary["distinct_base_images"] == len(bases) >= 25
    assert {"photo", "photo-grey", "document", "synthetic", "blank"} <= set(summary["by_kind"])
    again = build_negative_set()
    assert [i.data for i in again] == [i.data for i in items]


def test_every_negative_decodes_like_an_upload():
    for item in build_negative_set():
        decoded = decode_image(item.data)
        assert decoded.source_format in ("png", "jpeg"), item.name
        assert min(decoded.gray.shape) >= 64 or item.name.startswith("skimage:microaneurysms"), item.name
