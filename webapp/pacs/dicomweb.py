"""The PACS over DICOMweb (QIDO-RS, WADO-RS, STOW-RS) with the maintained `dicomweb-client`."""
from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def client(url: str | None = None):
    """A DICOMwebClient for settings.PACS_DICOMWEB_URL (or `url`)."""
    from dicomweb_client.api import DICOMwebClient

    url = url or settings.PACS_DICOMWEB_URL
    if not url:
        raise ImproperlyConfigured("Set PACS_DICOMWEB_URL to the PACS's DICOMweb root "
                                   "(e.g. http://127.0.0.1:8042/dicom-web): see docs/pacs.md")
    return DICOMwebClient(url=url.rstrip("/"))
