"""Django's sign-in, sign-out and password views with the site's own (Chinese) templates.

The URL names are Django's own (login, password_reset_confirm…), which its views and
e-mails reverse; the templates live under accounts/ so the admin keeps its own.
"""

from django.contrib.auth import views as auth
from django.urls import path, reverse_lazy

from issues.subscriptions import views
from issues.subscriptions.forms import EmailAuthenticationForm

urlpatterns = [
    path(
        "login/",
        auth.LoginView.as_view(template_name="accounts/login.html", authentication_form=EmailAuthenticationForm),
        name="login",
    ),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path(
        "password/change/",
        auth.PasswordChangeView.as_view(template_name="accounts/password_change_form.html"),
        name="password_change",
    ),
    path(
        "password/change/done/",
        auth.PasswordChangeDoneView.as_view(template_name="accounts/password_change_done.html"),
        name="password_change_done",
    ),
    path(
        "password/reset/",
        views.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "password/reset/sent/",
        auth.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        auth.PasswordResetConfirmView.as_view(
            template_name="accounts/password_reset_confirm.html", success_url=reverse_lazy("password_reset_complete")
        ),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/",
        auth.PasswordResetCompleteView.as_view(template_name="accounts/password_reset_complete.html"),
        name="password_reset_complete",
    ),
]
