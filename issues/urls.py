from django.urls import path

from issues import views

app_name = "issues"
urlpatterns = [
    path("", views.archive, name="archive"),
    path("<int:year>/<int:number>/", views.issue_detail, name="detail"),
]
