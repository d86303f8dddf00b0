"""The demo issue that `make run` loads, and that tests and benchmarks build on."""

import io

import pytest
from django.core.management import call_command

from articles.models import Article, Contributor
from issues.models import Issue, Periodical, Section, StandingPage

pytestmark = pytest.mark.django_db


def load_demo() -> str:
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def test_loading_the_demo_twice_duplicates_nothing():
    load_demo()
    counts = [model.objects.count() for model in (Issue, Article, Section, Contributor)]
    load_demo()
    assert [model.objects.count() for model in (Issue, Article, Section, Contributor)] == counts


def test_demo_sets_up_the_periodical_from_its_bundle_but_keeps_an_editors_changes():
    assert load_demo().startswith("已设置刊物：南滨电子商务\n")
    periodical = Periodical.load()
    assert periodical.name == "南滨电子商务"
    assert periodical.circulation_note == "内部资料 免费交流"
    assert periodical.permit_number == "南新出内准字第2016-027号"  # as the demo masthead prints it
    assert "6000" in periodical.call_for_papers
    [notice] = periodical.standing_pages.all()
    assert notice.title == "本刊声明" and "不得转载" in notice.text
    periodical.name = "编辑改过的刊名"
    periodical.save()
    notice.delete()
    assert load_demo().splitlines() == [
        "刊物设置已存在，未覆盖（编辑改过的刊名）。",
        "示例期刊 2017年第1期（总第26期） 已存在，跳过。",
    ]
    assert Periodical.load().name == "编辑改过的刊名" and not StandingPage.objects.exists()


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
