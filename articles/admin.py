from urllib.parse import urlsplit

from csp.decorators import csp_update
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import JsonResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from js_asset import Media

from articles.filters import search_terms
from articles.images import body_image_save
from articles.models import Article, ArticleStatusChange, Authorship, Contributor
from articles.services import article_mark_ready, article_publish, article_send_back
from articles.wechat import PREVIEW_STYLE, STYLES, article_wechat_export, preview_document, style_hashes
from issues.admin import SectionListFilter, StatusChangeInline, transition_action
from issues.models import Section


@admin.register(Contributor)
class ContributorAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "affiliation", "email", "phone", "article_count"]
    list_filter = ["kind"]
    search_fields = ["name", "affiliation", "email"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(article_count=Count("authorships")).order_by("name", "id")

    @admin.display(description=_("文章数"), ordering="article_count")
    def article_count(self, contributor):
        return contributor.article_count


class AuthorshipInline(admin.TabularInline):
    model = Authorship
    fields = ["position", "contributor"]
    autocomplete_fields = ["contributor"]
    extra = 1


class ArticleStatusChangeInline(StatusChangeInline):
    model = ArticleStatusChange


# Tiptap (inside django-prose-editor) injects its base stylesheet as a <style> element at run time;
# this is the SHA-256 of that stylesheet in the pinned django-prose-editor (0.28), the only inline
# style the article page allows. tests/test_csp_browser.py fails, naming the new hash, if it changes.
TIPTAP_STYLE_HASH = "'sha256-PlumsSlvJ7vvWzjqibGAYKq92O3y/4JTxWWsWJvyUYA='"


class ArticleChangeList(ChangeList):
    """The article list's rows without the texts it never shows, which SQLite would otherwise sort along."""

    def get_queryset(self, request, exclude_parameters=None):
        return super().get_queryset(request, exclude_parameters).defer("body", "plain_text", "summary")


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "issue", "section", "position", "author_names", "status", "in_toc", "pages", "read_count"]
    list_filter = ["status", "issue", ("section", SectionListFilter), "in_toc", "is_lead"]
    search_fields = ["title"]  # shows the search box; get_search_results searches the index
    list_select_related = ["issue", "section__parent"]
    # Newest first, along the primary key: a search matching thousands of articles then stops at
    # the first page instead of sorting them all by issue and position.
    ordering = ["-id"]
    list_per_page = 50
    readonly_fields = ["status", "first_page", "last_page", "read_count"]
    fieldsets = [
        (None, {"fields": ["title", "subtitle", "byline", "source"]}),
        (
            _("排期"),
            {
                "fields": [
                    "issue",
                    "section",
                    "position",
                    "in_toc",
                    "is_lead",
                    "office_written",
                    "status",
                    ("first_page", "last_page"),
                    "read_count",
                ]
            },
        ),
        (_("正文"), {"fields": ["body", "summary"]}),
        (_("网址"), {"fields": ["slug"], "classes": ["collapse"]}),
    ]
    inlines = [AuthorshipInline, ArticleStatusChangeInline]

    class Media:
        css = {"all": ["editor/bulletin-editor.css"]}  # the editor's 插入图片 dialog

    actions = [
        transition_action(article_mark_ready, object_name="article", description=_("定稿")),
        transition_action(article_send_back, object_name="article", description=_("退回草稿")),
        transition_action(article_publish, object_name="article", description=_("发布（所在期已发布时）")),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).with_authors().with_read_count()

    def get_urls(self):
        # admin_view: staff only (others are sent to the login page), CSRF-protected, never cached.
        upload = path(
            "body-images/",
            self.admin_site.admin_view(self.body_image_upload),
            name="articles_article_body_image",
        )
        wechat = path(
            "<path:object_id>/wechat/",
            self.admin_site.admin_view(self.wechat_view),
            name="articles_article_wechat",
        )
        return [upload, wechat, *super().get_urls()]

    def wechat_view(self, request, object_id):
        """复制到公众号: the article as the WeChat editor takes it, previewed at a phone's width."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        article = self.get_object(request, unquote(object_id))
        if article is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        export = article_wechat_export(article=article)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("复制到公众号：%(title)s") % {"title": article.title},
            "opts": self.opts,
            "original": article,
            "export": export,
            "preview": preview_document(export),
        }
        response = TemplateResponse(request, "admin/articles/article/wechat.html", context)
        # The preview frame (srcdoc) shares this page's policy: it may apply exactly the export's
        # inline styles, and show its images, which are addressed on the public site.
        policy = {
            "style-src": style_hashes(*STYLES.values(), PREVIEW_STYLE),
            "img-src": [urlsplit(settings.SITE_URL)._replace(path="", query="", fragment="").geturl()],
        }
        return csp_update(policy)(lambda: response)()

    def body_image_upload(self, request):
        """The editor's 插入图片 dialog posts here: the image file and its alt text; JSON back."""
        if request.method != "POST":
            return JsonResponse({"error": gettext("请用编辑器的“插入图片”上传图片。")}, status=405)
        if not self.has_change_permission(request):
            return JsonResponse({"error": gettext("你没有修改文章的权限，不能上传图片。")}, status=403)
        upload = request.FILES.get("image")
        if upload is None:
            return JsonResponse({"error": gettext("请选择要上传的图片文件。")}, status=400)
        if not request.POST.get("alt", "").strip():
            return JsonResponse(
                {"error": gettext("请填写替代文字：读不到图片的读者（和读屏软件）读到的是它。")}, status=400
            )
        try:
            url = body_image_save(upload=upload)
        except ValidationError as error:
            return JsonResponse({"error": " ".join(error.messages)}, status=400)
        return JsonResponse({"url": url})

    def get_changelist(self, request, **kwargs):
        return ArticleChangeList

    def get_search_results(self, request, queryset, search_term):
        # The site's search: each word in the search index (title, subtitle, byline, summary, body
        # text) or an author's name. LIKE on title, byline and body read every article's HTML,
        # over a second on 10,000 articles, and matched words inside the markup as well.
        terms = search_terms(search_term)
        return (queryset.matching(terms) if terms else queryset), False

    @csp_update({"style-src": [TIPTAP_STYLE_HASH]})
    def render_change_form(self, request, context, *args, **kwargs):
        # The prose editor's import map is an inline <script type="importmap">: it carries the
        # request's CSP nonce, the one inline script the Content-Security-Policy lets run.
        context["media"] = Media.from_media(context["media"], nonce=request.csp_nonce)
        return super().render_change_form(request, context, *args, **kwargs)

    @admin.display(description=_("作者"))
    def author_names(self, article):
        return "、".join(a.contributor.name for a in article.authorships.all())

    @admin.display(description=_("阅读数"), ordering="read_total")
    def read_count(self, article):
        """Readers of the public site counted so far, once per reader and day (articles/readership.py)."""
        return getattr(article, "read_total", 0)

    @admin.display(description=_("页码"))
    def pages(self, article):
        return article.page_range or "—"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "section":
            kwargs["queryset"] = Section.objects.select_related("parent")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
