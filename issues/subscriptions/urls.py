from django.urls import path

from issues.subscriptions import views

app_name = "subscriptions"
urlpatterns = [
    path("", views.account, name="account"),
    path("register/", views.register, name="register"),
    path("register/sent/", views.register_sent, name="register_sent"),
    path("confirm/<uidb64>/<token>/", views.confirm, name="confirm"),
    path("confirm/resend/", views.resend_confirmation, name="resend_confirmation"),
    path("renew/", views.renew, name="renew"),
    path("notices/", views.notices, name="notices"),
    path("notices/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("notices/resubscribe/<str:token>/", views.resubscribe, name="resubscribe"),
    path("subscribe/", views.how_to_subscribe, name="how_to_subscribe"),
]
