"""Project-level pages that belong to no single app: the public landing page and the
signed-in home page (the dashboard that links to the main features)."""
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe


@login_not_required
@require_safe
def landing(request):
    """What the product is, for visitors. Signed-in people go straight to their home page."""
    if request.user.is_authenticated:
        return redirect("home")
    return render(request, "landing.html")


@require_safe
def home(request):
    return render(request, "home.html")
