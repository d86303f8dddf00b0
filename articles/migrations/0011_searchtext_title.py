"""A second search index over titles alone, for related articles (articles/search.py)."""

from django.db import migrations, models

from articles.search import run_per_vendor, search_form

# Added in SQL rather than by AddField, which on SQLite remakes the table for a NOT NULL column and so
# drops the full-text index's triggers (0003) with it. The same column as `db_default=""` would make.
ADD_COLUMN = "ALTER TABLE articles_searchtext ADD COLUMN title text NOT NULL DEFAULT ''"
DROP_COLUMN = "ALTER TABLE articles_searchtext DROP COLUMN title"
SQLITE_INDEX = [
    # An FTS5 index over articles_searchtext.title (external content), kept in step by triggers.
    "CREATE VIRTUAL TABLE articles_titleindex USING fts5("
    "title, content='articles_searchtext', content_rowid='article_id', tokenize='unicode61')",
    "CREATE TRIGGER articles_searchtext_title_ai AFTER INSERT ON articles_searchtext BEGIN "
    "INSERT INTO articles_titleindex(rowid, title) VALUES (new.article_id, new.title); END",
    "CREATE TRIGGER articles_searchtext_title_ad AFTER DELETE ON articles_searchtext BEGIN "
    "INSERT INTO articles_titleindex(articles_titleindex, rowid, title) VALUES ('delete', old.article_id, old.title); END",
    "CREATE TRIGGER articles_searchtext_title_au AFTER UPDATE ON articles_searchtext BEGIN "
    "INSERT INTO articles_titleindex(articles_titleindex, rowid, title) VALUES ('delete', old.article_id, old.title); "
    "INSERT INTO articles_titleindex(rowid, title) VALUES (new.article_id, new.title); END",
    "INSERT INTO articles_titleindex(articles_titleindex) VALUES ('rebuild')",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS articles_searchtext_title_ai",
    "DROP TRIGGER IF EXISTS articles_searchtext_title_ad",
    "DROP TRIGGER IF EXISTS articles_searchtext_title_au",
    "DROP TABLE IF EXISTS articles_titleindex",
]
POSTGRESQL_INDEX = [
    "ALTER TABLE articles_searchtext ADD COLUMN title_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple', title)) STORED",
    "CREATE INDEX articles_searchtext_title_vector ON articles_searchtext USING gin (title_vector)",
]
POSTGRESQL_DROP = [
    "DROP INDEX IF EXISTS articles_searchtext_title_vector",
    "ALTER TABLE articles_searchtext DROP COLUMN IF EXISTS title_vector",
]


def fill_titles(apps, schema_editor):
    SearchText = apps.get_model("articles", "SearchText")
    for search_text in SearchText.objects.select_related("article").iterator():
        search_text.title = search_form(f"{search_text.article.title} {search_text.article.subtitle}")
        search_text.save(update_fields=["title"])


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0010_article_views_and_daily_reads"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="searchtext",
                    name="title",
                    field=models.TextField(blank=True, db_default="", default=""),
                ),
            ],
            database_operations=[
                migrations.RunPython(
                    run_per_vendor({"sqlite": [ADD_COLUMN], "postgresql": [ADD_COLUMN]}),
                    run_per_vendor({"sqlite": [DROP_COLUMN], "postgresql": [DROP_COLUMN]}),
                ),
            ],
        ),
        migrations.RunPython(fill_titles, migrations.RunPython.noop),
        migrations.RunPython(
            run_per_vendor({"sqlite": SQLITE_INDEX, "postgresql": POSTGRESQL_INDEX}),
            run_per_vendor({"sqlite": SQLITE_DROP, "postgresql": POSTGRESQL_DROP}),
        ),
    ]
