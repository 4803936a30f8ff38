"""Datasets: importers into one index, task framing, splits and the preprocessed image cache."""
