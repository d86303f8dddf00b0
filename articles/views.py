from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render

from articles.models import Article, Authorship


def article_detail(request, pk, slug):
    articles = Article.objects.all() if request.user.is_staff else Article.objects.published()
    article = get_object_or_404(
        articles.select_related("issue", "section__parent").prefetch_related(
            Prefetch("authorships", queryset=Authorship.objects.select_related("contributor"))
        ),
        pk=pk,
    )
    if slug != article.slug:
        return redirect(article, permanent=True)
    return render(request, "articles/article_detail.html", {"article": article})
