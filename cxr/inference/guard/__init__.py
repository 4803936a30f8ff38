"""Is this a frontal chest X-ray? `rules` (plain checks) and `detectors` (feature space)."""
