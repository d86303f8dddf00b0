"""The reader's account pages under /accounts/ (auth_urls.py has the sign-in and password pages)."""

from django.urls import path
from django.views.decorators.cache import cache_control

from issues.subscriptions import views

# Every page under /accounts/ is one reader's (their name, subscription, forms with their CSRF
# token): a shared cache between them and the site (a proxy, a CDN) must never keep one.
private = cache_control(private=True)

app_name = "subscriptions"
urlpatterns = [
    path("", private(views.account), name="account"),
    path("register/", private(views.register), name="register"),
    path("register/sent/", private(views.register_sent), name="register_sent"),
    path("confirm/<uidb64>/<token>/", private(views.confirm), name="confirm"),
    path("confirm/resend/", private(views.resend_confirmation), name="resend_confirmation"),
    path("renew/", private(views.renew), name="renew"),
    path("notices/", private(views.notices), name="notices"),
    path("notices/unsubscribe/<str:token>/", private(views.unsubscribe), name="unsubscribe"),
    path("notices/resubscribe/<str:token>/", private(views.resubscribe), name="resubscribe"),
    path("subscribe/", private(views.how_to_subscribe), name="how_to_subscribe"),
]
