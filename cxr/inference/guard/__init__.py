"""Is this a frontal chest X-ray? `rules` (plain checks), `orientation` (which way up, and
negatives, turned back before reading), `detectors` (the feature guard: distance from the
training X-rays in feature space, fitted into ood.npz) and `verifier` (a whole frontal chest
X-ray, not a photo of a screen, a crop or a ruined film)."""
