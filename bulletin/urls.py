from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path

from articles.feeds import ArticleFeed
from articles.sitemaps import ArticleSitemap, ContributorSitemap, SectionSitemap
from issues import views as issue_views
from issues.feeds import IssueFeed
from issues.sitemaps import IssueSitemap, PagesSitemap
from issues.subscriptions import views as subscription_views

SITEMAPS = {
    "pages": PagesSitemap,
    "issues": IssueSitemap,
    "articles": ArticleSitemap,
    "sections": SectionSitemap,
    "contributors": ContributorSitemap,
}

urlpatterns = [
    path("", issue_views.home, name="home"),
    # The PDFs are the subscribers' (their access rules, stamping, download log), under the issue's and the
    # article's addresses.
    path("issues/<int:year>/<int:number>/pdf/", subscription_views.issue_pdf, name="issue_pdf"),
    path("articles/<int:pk>/<str:slug>/pdf/", subscription_views.article_pdf, name="article_pdf"),
    path("issues/<int:year>/<int:number>/epub/", subscription_views.issue_epub, name="issue_epub"),
    path("issues/", include("issues.urls")),
    path("", include("articles.urls")),
    path("submit/", include("articles.submissions.urls")),
    path("accounts/", include("issues.subscriptions.urls")),
    path("accounts/", include("issues.subscriptions.auth_urls")),
    path("feeds/issues/", IssueFeed(), name="feed-issues"),
    path("feeds/articles/", ArticleFeed(), name="feed-articles"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("robots.txt", issue_views.robots_txt),
    path("favicon.ico", issue_views.favicon),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    # In production the web server serves MEDIA_ROOT itself (see README).
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
