"""Which training options do not go together: torch-free, so that the command line can refuse a
combination before torch loads, and the training loop refuses the same one for other callers."""


def conflicting_options(*, mixup: float, adversary_weight: float, consistency: float,
                        augment: str) -> str | None:
    """Why these options cannot be used together (in the command line's words), or None."""
    if mixup > 0 and adversary_weight > 0:
        return "--mixup and --adversary-weight cannot be combined (a mixed image has two sources)"
    if consistency > 0 and (augment != "paper+codec-last" or mixup > 0 or adversary_weight > 0):
        return ("--consistency compares an image with its JPEG copy: it needs --augment "
                "paper+codec-last, without --mixup or --adversary-weight")
    return None
