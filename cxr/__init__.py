"""cxr: the chest X-ray research toolkit and inference engine.

Light modules (labels, preprocess, files, inference) need only the web app's runtime of
pyproject.toml: numpy, Pillow, pydicom (with python-gdcm for compressed DICOM), onnxruntime, and
isal (the stored display PNGs' deflate, imported when one is written). Everything that imports
torch or timm lives in `cxr.training` and `cxr.export`, used via `python -m cxr` with the `[train]`
extra.
"""

__version__ = "0.1.0"
