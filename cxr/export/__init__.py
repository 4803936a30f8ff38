"""Checkpoint -> model directory (ONNX graph, model card, guard statistics); needs torch.

The package itself loads no torch: the command line reads its defaults from here without it.
"""

OOD_MAX_TRAIN_IMAGES = 3000  # features of more training images change the statistics little
