from django.urls import path

from articles.submissions import views

app_name = "submissions"
urlpatterns = [
    path("", views.submit, name="submit"),
    path("status/<str:token>/", views.status, name="status"),
    path("status/<str:token>/withdraw/", views.withdraw, name="withdraw"),
    path("review/<str:token>/", views.expert_review, name="expert_review"),
]
