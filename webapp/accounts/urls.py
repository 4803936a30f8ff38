"""Account URLs under /accounts/, with Django's un-namespaced names (`login`, `logout`,
`password_change`, `password_reset`, ...) plus `register` (with `register_done`, `verify_email`
and `resend_verification`), `profile` (with `confirm_new_email`), `export_data` and `delete_account`."""
from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path("register/", views.register, name="register"),
    path("register/done/", views.register_done, name="register_done"),
    # The link mailed to a new account; its token is kept out of the logs (webapp/log_format.py).
    path("verify-email/<uidb64>/<token>/", views.verify_email, name="verify_email"),
    path("verify-email/", views.resend_verification, name="resend_verification"),
    path("profile/", views.profile, name="profile"),
    # How long the session has left, for the page's warning before it ends (static/js/session.js).
    path("session/", views.session_time, name="session_time"),
    # The link mailed to a new address asked for on the profile; its token is kept out of the logs too.
    path("confirm-new-email/<uidb64>/<token>/", views.confirm_new_email, name="confirm_new_email"),
    path("profile/my-data.zip", views.export_data, name="export_data"),
    path("profile/delete/", views.delete_account, name="delete_account"),
    path("login/", views.EmailLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password_change/", views.LimitedPasswordChangeView.as_view(), name="password_change"),
    path(
        "password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("password_reset/", views.TimedPasswordResetView.as_view(), name="password_reset"),
    path(
        "password_reset/done/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        views.ResetPasswordConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]
