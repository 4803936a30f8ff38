"""Registration and profile pages; every other account page is one of Django's auth views."""
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import LoginView
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from .forms import EmailAuthenticationForm, ProfileForm, RegistrationForm
from .models import User

# Several backends are configured (axes first): login() must be told which one vouched.
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


class EmailLoginView(LoginView):
    """Django's LoginView (it passes the request to authenticate(), which axes needs)."""

    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True


@login_not_required
@require_http_methods(["GET", "POST"])
def register(request):
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    form = RegistrationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend=MODEL_BACKEND)
        messages.success(request, _("Welcome, %(name)s. Your account is ready.") % {
            "name": user.get_short_name(),
        })
        return redirect(settings.LOGIN_REDIRECT_URL)
    return render(request, "accounts/register.html", {"form": form})


@require_http_methods(["GET", "POST"])
def profile(request):
    # A copy of the account: an invalid form must not leave its values on request.user, which
    # the page header shows.
    account = User.objects.get(pk=request.user.pk)
    form = ProfileForm(request.POST if request.method == "POST" else None, instance=account)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your profile has been saved."))
        return redirect("profile")
    return render(request, "accounts/profile.html", {"form": form})
