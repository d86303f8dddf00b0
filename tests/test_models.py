import datetime
from urllib.parse import unquote

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from articles.models import Article
from issues.models import Issue, Periodical, Section
from tests.factories import image_bytes, make_article, make_contributor, make_issue, make_section

pytestmark = pytest.mark.django_db


def test_issue_line_reads_as_printed():
    issue = make_issue(year=2017, number=1, total_number=26)
    assert str(issue) == "2017年第1期（总第26期）"
    assert issue.key == "2017-1"
    assert issue.get_absolute_url() == "/issues/2017/1/"


def test_year_and_number_are_unique_together():
    make_issue(year=2017, number=1, total_number=26)
    make_issue(year=2018, number=1, total_number=27)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_issue(year=2017, number=1, total_number=28)


def test_total_number_is_unique():
    make_issue(year=2017, number=1, total_number=26)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_issue(year=2017, number=2, total_number=26)


def test_a_published_issue_must_have_a_publication_time():
    issue = make_issue()
    with pytest.raises(IntegrityError), transaction.atomic():
        Issue.objects.filter(pk=issue.pk).update(status=Issue.Status.PUBLISHED, published_at=None)


def test_issue_form_validation_rejects_number_zero():
    issue = Issue(year=2017, number=0, total_number=1, publication_date=datetime.date(2017, 1, 1))
    with pytest.raises(ValidationError) as error:
        issue.full_clean()
    assert "number" in error.value.message_dict


def test_next_numbers_follow_the_latest_issue():
    assert Issue.next_numbers() == (timezone.localdate().year, 1, 1)
    make_issue(year=2016, number=4, total_number=25)
    assert Issue.next_numbers() == (2016, 5, 26)
    make_issue(year=2017, number=1, total_number=26)
    assert Issue.next_numbers() == (2017, 2, 27)


def test_new_issue_proposes_the_standing_lines_of_the_latest_masthead_and_its_own_generated_lines():
    assert Issue.proposed_masthead() == [
        {"label": "出版日期", "value": "", "kind": "publication"},
        {"label": "印数", "value": "", "kind": "print_run"},
    ]
    make_issue(year=2016, number=4, total_number=25, masthead=[("主编", "旧主编")])
    make_issue(
        year=2017,
        number=1,
        total_number=26,
        print_run=1000,
        masthead=[("出版日期", ""), ("主编", "林知远"), ("印数", ""), ("编辑", "叶晓舟")],
    )
    assert Issue.proposed_masthead() == [
        {"label": "出版日期", "value": "", "kind": "publication"},
        {"label": "主编", "value": "林知远", "kind": ""},
        {"label": "印数", "value": "", "kind": "print_run"},
        {"label": "编辑", "value": "叶晓舟", "kind": ""},
    ]


def test_generated_masthead_lines_follow_the_issue_until_it_is_published():
    issue = make_issue(
        year=2017, number=2, total_number=27, print_run=1200, masthead=[("出版日期", "旧"), ("印数", "1000 册")]
    )
    assert [line.value for line in issue.masthead_lines.all()] == ["2017年1月31日 2017年第2期（总第27期）", "1200 册"]

    issue.publication_date, issue.print_run = datetime.date(2017, 2, 28), None
    issue.save()
    assert [line.value for line in issue.masthead_lines.all()] == ["2017年2月28日 2017年第2期（总第27期）", ""]
    assert [line.label for line in issue.masthead_lines.printed()] == ["出版日期"]  # no print run: not printed

    issue.print_run = 800
    issue.save()
    issue.status, issue.published_at = Issue.Status.PUBLISHED, timezone.now()
    issue.save()
    issue.publication_date, issue.print_run = datetime.date(2017, 3, 1), 5000
    issue.save()  # a correction after publication: the masthead stays as printed
    assert [line.value for line in issue.masthead_lines.all()] == ["2017年2月28日 2017年第2期（总第27期）", "800 册"]


def test_each_issue_keeps_its_own_masthead():
    old = make_issue(year=2016, number=4, total_number=25, masthead=[("主编", "旧主编")])
    new = make_issue(year=2017, number=1, total_number=26, masthead=[("主编", "新主编")])
    new.masthead_lines.update(value="再换主编")
    assert [line.value for line in old.masthead_lines.all()] == ["旧主编"]


def test_cover_upload_makes_a_thumbnail():
    issue = make_issue()
    issue.cover = SimpleUploadedFile("cover.png", image_bytes(size=(1200, 900)))
    issue.save()
    issue.refresh_from_db()
    assert issue.cover_thumbnail.name.endswith(".jpg")
    assert issue.cover_thumbnail.width == 480
    assert issue.cover_thumbnail.height == 360


def test_cover_that_is_not_an_image_is_refused():
    issue = make_issue()
    issue.cover = SimpleUploadedFile("cover.jpg", b"MZ\x90\x00 not an image")
    with pytest.raises(ValidationError) as error:
        issue.full_clean()
    assert "无法识别的图片文件" in str(error.value)


def test_periodical_is_a_single_row():
    first = Periodical.load()
    first.name = "南滨电子商务"
    first.save()
    Periodical(name="另一份刊物").save()
    assert Periodical.objects.count() == 1
    assert Periodical.load().name == "另一份刊物"
    assert Periodical.load().manuscript_char_limit == 6000


def test_section_names_are_unique_among_siblings():
    data = make_section(name="数据观察")
    Section.objects.create(name="区域数据", parent=data)
    Section.objects.create(name="区域数据", parent=make_section(name="行业动态"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Section.objects.create(name="区域数据", parent=data)
    with pytest.raises(IntegrityError), transaction.atomic():
        Section.objects.create(name="数据观察")


def test_sub_sections_get_readable_names_and_slugs():
    sub = Section.objects.create(name="区域数据", parent=make_section(name="数据观察"))
    assert sub.full_name == "数据观察 › 区域数据"
    assert sub.path == "数据观察/区域数据"
    assert sub.slug == "数据观察-区域数据"


def test_sections_nest_only_one_level():
    child = Section.objects.create(name="区域数据", parent=make_section(name="数据观察"))
    grandchild = Section(name="更细", parent=child, slug="x")
    with pytest.raises(ValidationError):
        grandchild.full_clean()


def test_byline_defaults_to_the_authors_in_order():
    article = make_article(authors=[make_contributor(name="周雅琴"), make_contributor(name="马骏")])
    assert article.printed_byline == "文 / 周雅琴　马骏"
    article.byline = "文 / 本刊编辑部"
    assert article.printed_byline == "文 / 本刊编辑部"


def test_article_slug_and_url():
    article = make_article(title="县域O2O的“最后一公里”")
    assert article.slug == "县域o2o的最后一公里"
    assert unquote(article.get_absolute_url()) == f"/articles/{article.pk}/县域o2o的最后一公里/"


def test_page_range():
    article = make_article()
    assert article.page_range == ""
    article.first_page, article.last_page = 5, 5
    assert article.page_range == "5"
    article.last_page = 12
    assert article.page_range == "5–12"


def test_last_page_cannot_precede_first_page():
    article = make_article()
    with pytest.raises(IntegrityError), transaction.atomic():
        type(article).objects.filter(pk=article.pk).update(first_page=9, last_page=3)


def test_unscheduled_article_has_no_issue():
    article = make_article(issue=None)
    assert article.issue is None


def test_thumbnail_is_made_only_when_the_cover_changes(django_assert_num_queries):
    issue = make_issue()
    issue.cover = SimpleUploadedFile("cover.png", image_bytes(size=(800, 600)))
    issue.save()
    thumbnail = issue.cover_thumbnail.name
    reloaded = Issue.objects.get(pk=issue.pk)
    reloaded.title = "改了主题"
    reloaded.save()
    assert reloaded.cover_thumbnail.name == thumbnail
    with django_assert_num_queries(1):
        assert Issue.objects.only("year").get(pk=issue.pk).year == issue.year


def test_truncated_images_are_refused_even_after_weasyprint_is_loaded():
    import weasyprint  # noqa: F401 - it tells Pillow to accept truncated images, process-wide

    issue = make_issue()
    issue.cover = SimpleUploadedFile("cover.jpg", image_bytes(format="JPEG", size=(400, 300))[:600])
    with pytest.raises(ValidationError) as error:
        issue.full_clean()
    assert "图片文件已损坏" in str(error.value)


def test_readers_see_published_issues_and_articles_staff_see_everything(django_user_model):
    out = make_issue(number=1, status=Issue.Status.PUBLISHED)
    published = make_article(issue=out, title="已发布", status=Article.Status.PUBLISHED)
    make_article(issue=out, title="补稿", position=2, status=Article.Status.READY)
    scheduled = make_issue(
        number=2, status=Issue.Status.PUBLISHED, published_at=datetime.datetime(2999, 1, 1, tzinfo=datetime.UTC)
    )
    make_article(issue=scheduled, title="定时发布", status=Article.Status.PUBLISHED)
    make_issue(number=3, status=Issue.Status.READY)
    reader = django_user_model.objects.create_user(username="reader", password="x")
    editor = django_user_model.objects.create_user(username="editor", password="x", is_staff=True)

    for user in (AnonymousUser(), reader):
        assert list(Issue.objects.visible_to(user)) == [out]
        assert list(Article.objects.visible_to(user)) == [published]
        assert list(out.articles.visible_to(user)) == [published]
    assert Issue.objects.visible_to(editor).count() == 3
    assert Article.objects.visible_to(editor).count() == 3


def test_sections_come_in_tree_order_each_parent_followed_by_its_children():
    news = make_section(name="行业动态", position=5)
    data = make_section(name="数据观察", position=4)
    make_section(name="国内", parent=news, position=2)
    make_section(name="南滨", parent=news, position=1)
    make_section(name="行业数据", parent=data, position=2)
    make_section(name="区域数据", parent=data, position=1)
    make_section(name="卷首语", position=1)
    tree = [
        "卷首语",
        "数据观察",
        "数据观察 › 区域数据",
        "数据观察 › 行业数据",
        "行业动态",
        "行业动态 › 南滨",
        "行业动态 › 国内",
    ]
    assert [str(section) for section in Section.objects.all()] == tree
    # A sub-section whose position equals a later parent's stays with its own parent.
    assert [section.full_name for section in Section.objects.filter(position=1)] == [
        "卷首语",
        "数据观察 › 区域数据",
        "行业动态 › 南滨",
    ]
    # Ordering articles by their section follows the same tree.
    issue = make_issue()
    for position, section in enumerate(Section.objects.order_by("-name"), start=1):
        make_article(issue=issue, section=section, position=position, title=section.name)
    assert [a.section.full_name for a in Article.objects.order_by("section")] == tree
