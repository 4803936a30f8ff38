"""The PACS link: chest X-ray studies come in over DICOMweb, results go back as DICOM (docs/pacs.md)."""
