import django_filters
from django.db.models import Case, Exists, IntegerField, OuterRef, Q, Value, When
from django.utils.translation import gettext_lazy as _

from articles.models import Article, Authorship
from issues.models import Issue, Section


def search_terms(query: str) -> list[str]:
    """The words of a query; Chinese needs no segmenting here because matching is by substring."""
    return [term for term in query.split() if term][:5]


def _year_choices():
    years = Issue.objects.published().order_by("-year").values_list("year", flat=True).distinct()
    return [(year, str(year)) for year in years]


class ArticleFilter(django_filters.FilterSet):
    """The search page's filters: words anywhere in an article, narrowed by year, issue, section, author."""

    q = django_filters.CharFilter(label=_("关键词"), method="filter_words")
    year = django_filters.ChoiceFilter(
        label=_("年份"), field_name="issue__year", choices=_year_choices, empty_label=_("全部年份")
    )
    number = django_filters.NumberFilter(label=_("期号"), field_name="issue__number", min_value=1)
    section = django_filters.ModelChoiceFilter(
        label=_("栏目"),
        queryset=Section.objects.filter(parent__isnull=True),
        method="filter_section",
        empty_label=_("全部栏目"),
    )
    author = django_filters.CharFilter(label=_("作者"), method="filter_author")

    class Meta:
        model = Article
        fields = ["q", "year", "number", "section", "author"]

    def filter_words(self, queryset, name, value):
        terms = search_terms(value)
        if not terms:
            return queryset
        queryset = queryset.matching(terms)
        # Articles with the words in their title come first.
        title_match = Q()
        for term in terms:
            title_match &= Q(title__icontains=term)
        return queryset.annotate(
            in_title=Case(When(title_match, then=Value(0)), default=Value(1), output_field=IntegerField())
        ).order_by("in_title", "-issue__year", "-issue__number", "position", "pk")

    def filter_section(self, queryset, name, section):
        return queryset.filter(Q(section=section) | Q(section__parent=section))

    def filter_author(self, queryset, name, value):
        return queryset.filter(
            Exists(Authorship.objects.filter(article=OuterRef("pk"), contributor__name__icontains=value))
        )
