from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from issues import views as issue_views

admin.site.site_header = _("期刊编辑部")
admin.site.site_title = _("期刊编辑部")
admin.site.index_title = _("编辑工作台")

urlpatterns = [
    path("", issue_views.home, name="home"),
    path("issues/", include("issues.urls")),
    path("articles/", include("articles.urls")),
    path("admin/", admin.site.urls),
    path("favicon.ico", issue_views.favicon),
]

if settings.DEBUG:
    # In production the web server serves MEDIA_ROOT itself (see README).
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
