import django.db.models.deletion
from django.db import migrations, models

from articles.search import run_per_vendor, search_form

SQLITE_INDEX = [
    # An FTS5 index over articles_searchtext (external content), kept in step by triggers.
    "CREATE VIRTUAL TABLE articles_searchindex USING fts5("
    "text, content='articles_searchtext', content_rowid='article_id', tokenize='unicode61')",
    "CREATE TRIGGER articles_searchtext_ai AFTER INSERT ON articles_searchtext BEGIN "
    "INSERT INTO articles_searchindex(rowid, text) VALUES (new.article_id, new.text); END",
    "CREATE TRIGGER articles_searchtext_ad AFTER DELETE ON articles_searchtext BEGIN "
    "INSERT INTO articles_searchindex(articles_searchindex, rowid, text) VALUES ('delete', old.article_id, old.text); END",
    "CREATE TRIGGER articles_searchtext_au AFTER UPDATE ON articles_searchtext BEGIN "
    "INSERT INTO articles_searchindex(articles_searchindex, rowid, text) VALUES ('delete', old.article_id, old.text); "
    "INSERT INTO articles_searchindex(rowid, text) VALUES (new.article_id, new.text); END",
    "INSERT INTO articles_searchindex(articles_searchindex) VALUES ('rebuild')",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS articles_searchtext_ai",
    "DROP TRIGGER IF EXISTS articles_searchtext_ad",
    "DROP TRIGGER IF EXISTS articles_searchtext_au",
    "DROP TABLE IF EXISTS articles_searchindex",
]
POSTGRESQL_INDEX = [
    "ALTER TABLE articles_searchtext ADD COLUMN search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple', text)) STORED",
    "CREATE INDEX articles_searchtext_vector ON articles_searchtext USING gin (search_vector)",
]
POSTGRESQL_DROP = [
    "DROP INDEX IF EXISTS articles_searchtext_vector",
    "ALTER TABLE articles_searchtext DROP COLUMN IF EXISTS search_vector",
]


def fill_search_text(apps, schema_editor):
    Article = apps.get_model("articles", "Article")
    SearchText = apps.get_model("articles", "SearchText")
    for article in Article.objects.iterator():
        parts = (article.title, article.subtitle, article.byline, article.summary, article.plain_text)
        SearchText.objects.create(article_id=article.pk, text=search_form("\n".join(part for part in parts if part)))


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0002_article_plain_text"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchText",
            fields=[
                (
                    "article",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="search_text",
                        serialize=False,
                        to="articles.article",
                    ),
                ),
                ("text", models.TextField()),
            ],
        ),
        migrations.RunPython(
            run_per_vendor({"sqlite": SQLITE_INDEX, "postgresql": POSTGRESQL_INDEX}),
            run_per_vendor({"sqlite": SQLITE_DROP, "postgresql": POSTGRESQL_DROP}),
        ),
        migrations.RunPython(fill_search_text, migrations.RunPython.noop),
    ]
