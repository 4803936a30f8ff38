"""Template helpers for the account pages."""
import math
from datetime import timedelta

from django import template

register = template.Library()


@register.filter
def whole_minutes(delta) -> int:
    """A timedelta as whole minutes, rounded up (django-axes gives the lockout as a timedelta)."""
    if not isinstance(delta, timedelta):
        return 0
    return max(1, math.ceil(delta.total_seconds() / 60))
