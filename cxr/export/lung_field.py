"""Export the lung-field segmenter (cxr.training.lung_field) to ONNX for the torch-free side."""
from __future__ import annotations

from pathlib import Path

import torch

from cxr.inference.lung_field import LUNG_FIELD_FILE
from cxr.training.lung_field import SIZE, LungUNet


def export_lung_field(model: LungUNet, out_dir: str | Path) -> Path:
    """Write `lung_field.onnx` (input "input" (N, 1, S, S) float in [0, 1], output "logits")."""
    path = Path(out_dir) / LUNG_FIELD_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    model = model.eval().cpu()
    example = torch.zeros(1, 1, SIZE, SIZE)
    torch.onnx.export(model, (example,), str(path), input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, opset_version=17,
                      dynamo=False)
    return path
