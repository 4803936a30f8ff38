"""The day an X-ray was taken, as its DICOM header says: a patient's readings are compared in that
order (views.compare), since an old film uploaded today is still the older X-ray.

Uploads (from the decoded header, cxr.inference.decode) and PACS studies (from the data set) both
go through `taken_on`, so that one header gives one date whichever way the image came. PNG and
JPEG files carry no such date: their readings have none, and are placed by their upload time.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from cxr.inference.decode import DICOM_DATES

# Before 1901 (19000101 is a common "unknown"; Röntgen's first radiograph is from 1895), or after
# tomorrow (a modality's clock may run ahead of the server's time zone by hours, not days), a
# date is a placeholder or a wrong clock, not when the X-ray was taken.
EARLIEST = dt.date(1901, 1, 1)


def taken_on(header: Mapping, today: dt.date | None = None) -> dt.date | None:
    """The first of DICOM_DATES in `header` (a pydicom Dataset or decode's `dicom` dict) that holds
    a plausible date (DICOM DA, YYYYMMDD), or None."""
    latest = (today or dt.date.today()) + dt.timedelta(days=1)
    for key in DICOM_DATES:  # the most specific first (decode.DICOM_DATES)
        text = str(header.get(key, "") or "").strip()
        if len(text) != 8 or not text.isdigit():
            continue
        try:
            day = dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            continue
        if EARLIEST <= day <= latest:
            return day
    return None
