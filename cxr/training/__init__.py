"""The training side (torch, timm): architecture registry, models, weights, loop, sweep."""
