from django.urls import path

from articles import views

app_name = "articles"
urlpatterns = [
    path("articles/<int:pk>/<str:slug>/", views.article_detail, name="detail"),
    path("articles/<int:pk>/<str:slug>/qr.png", views.article_qr, name="qr"),
    path("articles/<int:pk>/", views.article_short_link, name="short_link"),
    path("reads/articles/<int:pk>/", views.article_read, name="read"),  # not under articles/<pk>/: a slug
    path("sections/<str:slug>/", views.section_detail, name="section"),
    path("contributors/<int:pk>/", views.contributor_detail, name="contributor"),
    path("search/", views.search, name="search"),
]
