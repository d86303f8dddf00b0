"""SQLite as a web server's database: concurrent writers wait for each other instead of failing.

The test makes its own SQLite file (whatever database the suite runs on), since the subject
is how the project configures SQLite: several processes — gunicorn workers, the task
worker, an import — each doing what the admin does on save: read, then write, in one
transaction. With SQLite's defaults the second writer fails at once with "database is locked".
"""

import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WRITERS, SAVES = 4, 10

WRITER = textwrap.dedent(
    """
    import os, sys, time
    import django
    django.setup()
    from django.db import transaction
    from articles.models import Article
    from issues.models import Section

    writer, saves = int(sys.argv[1]), int(sys.argv[2])
    section = Section.objects.get(name="特别报道")
    with transaction.atomic():
        article = Article.objects.create(section=section, title=f"写入者{writer}-0")
    for n in range(1, saves + 1):
        with transaction.atomic():  # as the admin saves: read the row, then write it
            article = Article.objects.get(pk=article.pk)
            time.sleep(0.002)
            article.title = f"写入者{writer}-{n}"
            article.save()
    print("ok")
    """
)


def environment(data_dir):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BULLETIN_", "DJANGO_", "DATABASE_URL"))}
    return env | {"DJANGO_SETTINGS_MODULE": "bulletin.settings", "BULLETIN_DATA_DIR": str(data_dir)}


def test_concurrent_writers_all_succeed_on_the_sqlite_file(tmp_path):
    env = environment(tmp_path)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from issues.models import Section; "
         "Section.objects.create(name='特别报道')"],
        cwd=ROOT, env=env, check=True,
    )  # fmt: skip
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(n), str(SAVES)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for n in range(WRITERS)
    ]
    results = [(writer.wait(timeout=120), *writer.communicate()) for writer in writers]

    assert [(code, out.decode().strip()) for code, out, _err in results] == [(0, "ok")] * WRITERS, [
        err.decode()[-500:] for _code, _out, err in results
    ]
    with sqlite3.connect(tmp_path / "db.sqlite3") as database:
        titles = sorted(title for (title,) in database.execute("SELECT title FROM articles_article"))
        (mode,) = database.execute("PRAGMA journal_mode").fetchone()
    assert titles == [f"写入者{n}-{SAVES}" for n in range(WRITERS)]
    assert mode == "wal"
