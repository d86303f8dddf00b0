"""Django's sign-in, sign-out and password views with the site's own (Chinese) templates.

The URL names are Django's own (login, password_reset_confirm…), which its views and
e-mails reverse; the templates live under accounts/ so the admin keeps its own. Like the
account pages, every one is marked Cache-Control: private.
"""

from django.contrib.auth import views as auth
from django.urls import path, reverse_lazy

from issues.subscriptions import views
from issues.subscriptions.forms import EmailAuthenticationForm
from issues.subscriptions.urls import private

urlpatterns = [
    path(
        "login/",
        private(
            auth.LoginView.as_view(template_name="accounts/login.html", authentication_form=EmailAuthenticationForm)
        ),
        name="login",
    ),
    path("logout/", private(auth.LogoutView.as_view()), name="logout"),
    path(
        "password/change/",
        private(auth.PasswordChangeView.as_view(template_name="accounts/password_change_form.html")),
        name="password_change",
    ),
    path(
        "password/change/done/",
        private(auth.PasswordChangeDoneView.as_view(template_name="accounts/password_change_done.html")),
        name="password_change_done",
    ),
    path(
        "password/reset/",
        private(views.PasswordResetView.as_view()),
        name="password_reset",
    ),
    path(
        "password/reset/sent/",
        private(auth.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html")),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        private(
            auth.PasswordResetConfirmView.as_view(
                template_name="accounts/password_reset_confirm.html",
                success_url=reverse_lazy("password_reset_complete"),
            )
        ),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/",
        private(auth.PasswordResetCompleteView.as_view(template_name="accounts/password_reset_complete.html")),
        name="password_reset_complete",
    ),
]
