"""Helpers of the site check's tests (Check it at your hospital): real X-rays with their
labels, the labels CSV, and the form's POST."""
from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

SITE_VALIDATION_URL = "/screening/site-validation/"


def labelled(xray_paths, per_class: int = 2) -> list[tuple[str, bytes, str]]:
    """(file name, bytes, label): real X-rays of each class."""
    return [(p.name, p.read_bytes(), label) for label in sorted(xray_paths) for p in xray_paths[label][:per_class]]


def post_site_check(client, files, labels_csv: str | None, **extra):
    """Send the site check form: the (name, bytes, label) files and the labels CSV's text."""
    data = {"images": [SimpleUploadedFile(name, body) for name, body, _label in files]}
    if labels_csv is not None:
        data["labels"] = SimpleUploadedFile("labels.csv", labels_csv.encode(), content_type="text/csv")
    return client.post(SITE_VALIDATION_URL, data, **extra)


def csv_of(files) -> str:
    """The labels CSV of (name, bytes, label) files."""
    return "file,label\n" + "".join(f"{name},{label}\n" for name, _body, label in files)
