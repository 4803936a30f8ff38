"""cxr: the chest X-ray research toolkit and inference engine.

Light modules (labels, preprocess, inference) need only numpy, Pillow, pydicom and onnxruntime;
everything that imports torch or timm lives under training modules used via `python -m cxr`.
"""

__version__ = "0.1.0"
