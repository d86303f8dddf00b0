"""The demo issue that `make run` loads, and that tests and benchmarks build on."""

import io

import pytest
from django.core.management import call_command

from articles.models import Article, Contributor
from issues.models import Issue, Periodical, Section

pytestmark = pytest.mark.django_db


def load_demo():
    call_command("load_demo", stdout=io.StringIO())


def test_loading_the_demo_twice_duplicates_nothing():
    load_demo()
    counts = [model.objects.count() for model in (Issue, Article, Section, Contributor)]
    load_demo()
    assert [model.objects.count() for model in (Issue, Article, Section, Contributor)] == counts


def test_demo_sets_up_the_periodical_but_keeps_an_editors_changes():
    load_demo()
    periodical = Periodical.load()
    assert periodical.name == "南滨电子商务"
    assert periodical.circulation_note == "内部资料 免费交流"
    assert "6000" in periodical.call_for_papers
    periodical.name = "编辑改过的刊名"
    periodical.save()
    load_demo()
    assert Periodical.load().name == "编辑改过的刊名"


def test_demo_issue_has_the_shape_of_a_printed_bulletin():
    load_demo()
    issue = Issue.objects.get(year=2017, number=1)
    assert str(issue) == "2017年第1期（总第26期）"
    assert issue.is_published and issue.cover and issue.cover_thumbnail
    labels = list(issue.masthead_lines.values_list("label", flat=True))
    assert labels[:3] == ["出版日期", "指导单位", "主办单位"]
    assert {"顾问", "指导委员会", "主编", "执行主编", "编辑", "印数", "准印证"} <= set(labels)

    articles = list(issue.articles.in_print_order().select_related("section__parent"))
    sections = list(dict.fromkeys(article.section.full_name for article in articles))
    assert sections == [
        "卷首语", "特别报道", "业界交流", "数据观察 › 区域数据", "数据观察 › 行业数据", "行业动态 › 南滨", "行业动态 › 国内",
    ]  # fmt: skip
    assert all(article.status == Article.Status.PUBLISHED for article in articles)
    briefs = [a for a in articles if a.section.parent and a.section.parent.name == "行业动态"]
    assert len(briefs) >= 12
    assert sum(a.in_toc for a in briefs) == 2

    financing = next(a for a in articles if "融资" in a.title)
    assert financing.body.count("<tr>") > 70
    assert 'rowspan="' in financing.body
    long_reports = [a for a in articles if a.body.count("<h2>") >= 4]
    assert len(long_reports) >= 3
    assert any("<img" in a.body for a in articles)
