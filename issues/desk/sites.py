"""The admin site of the editorial office: its index is the desk, what waits for the editor signed in.

Installed as the default admin site (DeskAdminConfig in issues/desk/apps.py), so every app's
`@admin.register` lands here; the index lists the work of every floor, hence its place on the top one.
"""

from django.contrib import admin
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from articles.honoraria.models import Honorarium
from articles.submissions.models import Submission
from issues.models import Issue
from issues.subscriptions.models import Subscription
from issues.typesetting.flatplan import pdf_states

DESK_ROWS = 8  # lines shown per list on the desk; each list links to all of them


class DeskSite(admin.AdminSite):
    site_header = _("期刊编辑部")
    site_title = _("期刊编辑部")
    index_title = _("编辑工作台")
    index_template = "admin/desk/index.html"

    def index(self, request, extra_context=None):
        context = {"desk": desk_lists(request), "desk_rows": DESK_ROWS}
        return super().index(request, context | (extra_context or {}))

    def get_app_list(self, request, app_label=None):
        """The apps and models as Django lists them, each model with the count of what waits in it."""
        app_list = super().get_app_list(request, app_label)
        counts = waiting_counts(request)
        for app in app_list:
            for model in app["models"]:
                model["waiting"] = counts.get(model["model"], 0)
        return app_list


def _can_view(request, model):
    return request.user.has_perm(f"{model._meta.app_label}.view_{model._meta.model_name}")


def waiting_counts(request) -> dict:
    """Per model, how many of its rows wait for someone in the office (one query per model)."""
    counts = {}
    if _can_view(request, Submission):
        new = Q(status=Submission.Status.RECEIVED)
        mine = Q(assigned_editor=request.user) & ~Q(status__in=Submission.FINAL)  # as undecided() below
        counts[Submission] = Submission.objects.filter(new | mine).count()
    if _can_view(request, Subscription):
        counts[Subscription] = Subscription.objects.filter(status=Subscription.Status.PENDING).count()
    if _can_view(request, Issue):
        counts[Issue] = Issue.objects.exclude(status=Issue.Status.PUBLISHED).count()
    return counts


def desk_lists(request) -> list[dict]:
    """The desk's lists, each a title, its rows (text, link, note) and a link to all of them; the lists
    of what arrives (new manuscripts, subscription requests) also count all that waits, not only the rows shown."""
    lists = []
    if _can_view(request, Issue):
        lists.append(_issues_in_production(request))
    if _can_view(request, Submission):
        lists += _submissions(request)
    if _can_view(request, Honorarium):
        lists.append(_honoraria_due())
    if _can_view(request, Subscription):
        lists.append(_subscription_requests())
    return lists


def _issues_in_production(request):
    issues = list(
        Issue.objects.exclude(status=Issue.Status.PUBLISHED)
        .annotate(
            article_total=Count("articles"),
            articles_not_ready=Count("articles", filter=Q(articles__status=Issue.Status.DRAFT)),
        )
        .order_by("-total_number")[:DESK_ROWS]
    )
    states = pdf_states(issues)
    rows = []
    for issue in issues:
        notes = [issue.get_status_display()]
        if not issue.article_total:
            notes.append(_("还没有文章"))
        elif issue.articles_not_ready:
            notes.append(_("%(n)d 篇文章未定稿") % {"n": issue.articles_not_ready})
        else:
            notes.append(_("%(n)d 篇文章均已定稿") % {"n": issue.article_total})
        notes += _pdf_notes(states[issue.pk].values())
        rows.append(
            {
                "text": f"{issue.issue_line} {issue.title}".strip(),
                "url": reverse("admin:issues_issue_change", args=[issue.pk]),
                "notes": notes,
            }
        )
    return {
        "title": _("在编期刊"),
        "rows": rows,
        "empty": _("没有在编的期刊。"),
        "all_url": reverse("admin:issues_issue_changelist") + "?status__exact=draft",
        "add_url": reverse("admin:issues_issue_add") if request.user.has_perm("issues.add_issue") else "",
        "add_text": _("新建下一期"),
    }


def _pdf_notes(states):
    """What the desk says of an issue's PDFs: built with so many pages, out of date, failed, or not yet built."""
    states = list(states)
    notes = [_("%(variant)s生成失败") % {"variant": state.label} for state in states if state.failed]
    notes += [_("%(variant)s已过期") % {"variant": state.label} for state in states if state.stale]
    screen = states[0] if states else None  # screen first
    if screen and screen.page_count and not notes:
        notes.append(_("PDF %(pages)d 页") % {"pages": screen.page_count})
    elif not any(state.status for state in states):
        notes.append(_("尚未生成 PDF"))
    return notes


def _submission_rows(queryset):
    """The first rows of `queryset`, each noted with its author, status and date."""
    return [
        {
            "text": f"{submission.tracking_number} 《{submission.title}》",
            "url": reverse("admin:submissions_submission_change", args=[submission.pk]),
            "notes": [
                submission.author_name,
                submission.get_status_display(),
                submission.submitted_at.strftime("%Y-%m-%d"),
            ],
        }
        for submission in queryset[:DESK_ROWS]
    ]


def _submissions(request):
    changelist = reverse("admin:submissions_submission_changelist")
    new = Submission.objects.filter(status=Submission.Status.RECEIVED)
    mine = Submission.objects.undecided().filter(assigned_editor=request.user)
    return [
        {
            "title": _("新来稿"),
            "rows": _submission_rows(new),
            "count": new.count(),
            "empty": _("没有待处理的新来稿。"),
            "all_url": changelist + "?status__exact=received",
        },
        {
            "title": _("我负责的稿件"),
            "rows": _submission_rows(mine),
            "empty": _("没有分配给您、尚未决定的稿件。"),
            "all_url": changelist + f"?assigned_editor__id__exact={request.user.pk}",
        },
    ]


def _honoraria_due():
    due = Honorarium.objects.due().select_related("contributor", "article", "batch").order_by("created_at", "pk")
    return {
        "title": _("待付稿酬"),
        "rows": [
            {
                "text": f"《{honorarium.article.title}》",
                "url": reverse("admin:honoraria_honorarium_change", args=[honorarium.pk]),
                "notes": [
                    honorarium.contributor.name,
                    _("稿酬 %(amount)s 元") % {"amount": honorarium.amount},
                    str(honorarium.batch) if honorarium.batch_id else _("未列入付款批次"),
                ],
            }
            for honorarium in due[:DESK_ROWS]
        ],
        "empty": _("没有待付的稿酬。"),
        "all_url": reverse("admin:honoraria_honorarium_changelist") + "?payment=due",
    }


def _subscription_requests():
    pending = Subscription.objects.filter(status=Subscription.Status.PENDING).select_related("subscriber__user")
    return {
        "title": _("待审批的订阅申请"),
        "rows": [
            {
                "text": str(subscription.subscriber),
                "url": reverse("admin:subscriptions_subscription_change", args=[subscription.pk]),
                "notes": [subscription.subscriber.email, subscription.requested_at.strftime("%Y-%m-%d")],
            }
            for subscription in pending.order_by("requested_at")[:DESK_ROWS]
        ],
        "count": pending.count(),
        "empty": _("没有待审批的订阅申请。"),
        "all_url": reverse("admin:subscriptions_subscription_changelist") + "?status__exact=pending",
    }
