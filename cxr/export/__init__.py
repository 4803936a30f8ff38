"""Checkpoint -> model directory (ONNX graph, model card, guard statistics); needs torch."""
