from django.db import transaction
from django.utils.translation import gettext as _

from articles.models import Article, ArticleStatusChange
from issues.workflow import TransitionNotAllowed, change_status


@transaction.atomic
def article_transition(*, article: Article, to: str, by=None, comment: str = "") -> Article:
    """Change an article's status if the workflow allows it, and log who did it."""
    article = Article.objects.select_for_update(of=("self",)).select_related("issue").get(pk=article.pk)
    if to == Article.Status.PUBLISHED and not (article.issue and article.issue.is_published):
        raise TransitionNotAllowed(_("“%(article)s”所在的期尚未发布，不能单独发布。") % {"article": article})
    change_status(article, to=to, by=by, comment=comment, log_model=ArticleStatusChange, article=article)
    article.save(update_fields=["status", "updated_at"])
    return article
