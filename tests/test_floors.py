"""The floor plan (README, "Layout") held by reading every import of the project's code.

A module may import its own package and the packages on lower floors, never a package on
its own floor or above, and no views module imports another package's views. Imports inside
functions count too: a local import is no way round a cycle.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Lowest first. A module belongs to the longest package here that is a prefix of its name.
FLOORS = [
    ["issues"],
    ["articles"],
    ["issues.typesetting"],
    ["issues.subscriptions", "issues.bundles", "articles.submissions", "issues.proofs"],
    ["articles.honoraria"],
    ["issues.circulation"],
    ["issues.desk"],
]
FLOOR_OF = {package: level for level, packages in enumerate(FLOORS) for package in packages}


def package_of(module: str) -> str | None:
    candidates = [package for package in FLOOR_OF if module == package or module.startswith(package + ".")]
    return max(candidates, key=len) if candidates else None


def imported_modules(source: str, module: str) -> list[tuple[int, str]]:
    """(line, module) for every import in `source`, relative ones resolved against `module`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = module.rsplit(".", node.level)[0]
                base = f"{parent}.{base}" if base else parent
            # `from issues import views` imports the module issues.views
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def violations(source: str, module: str) -> list[str]:
    """What in `source` (the code of `module`) breaks the floor plan."""
    own = package_of(module)
    problems = []
    for line, target in imported_modules(source, module):
        other = package_of(target)
        if other is None or other == own:
            continue
        if FLOOR_OF[other] >= FLOOR_OF[own]:
            where = "its own floor" if FLOOR_OF[other] == FLOOR_OF[own] else "a higher floor"
            problems.append(f"{module}:{line} imports {target} ({other}, {where})")
        if module.endswith(".views") and ".views" in f"{target}.":
            problems.append(f"{module}:{line} imports another package's views: {target}")
    return problems


def project_modules():
    for top in ("issues", "articles"):
        for path in sorted((ROOT / top).rglob("*.py")):
            if "migrations" not in path.parts:
                yield ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"), path


def test_no_module_imports_its_own_floor_or_a_higher_one():
    problems = [problem for module, path in project_modules() for problem in violations(path.read_text(), module)]
    assert problems == []


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        ("issues.views", "from articles.models import Article", "issues.views:1 imports articles.models.Article"),
        (
            "issues.services",
            "def f():\n    from articles import services",
            "issues.services:2 imports articles.services",
        ),
        ("articles.models", "from issues.typesetting.build import render_pdf", "a higher floor"),
        ("issues.bundles.importer", "from issues.subscriptions import models", "its own floor"),
        ("articles.views", "from issues.views import contents_of", "another package's views"),
        ("issues.typesetting.document", "from .. import models\nfrom ..desk import admin", "issues.desk.admin"),
    ],
)
def test_the_checker_sees_each_kind_of_violation(module, source, expected):
    assert any(expected in problem for problem in violations(source, module))


def test_downward_and_own_package_imports_are_allowed():
    source = "from issues.models import Issue\nfrom articles.models import Article\nfrom . import tasks\n"
    assert violations(source, "issues.typesetting.build") == []


def test_every_package_has_its_floor_in_the_readme():
    layout = (ROOT / "README.md").read_text().split("## Layout", 1)[1].split("\n## ", 1)[0]
    assert [package for package in FLOOR_OF if f"`{package.replace('.', '/')}`" not in layout] == []


def test_the_project_package_holds_settings_urls_and_wsgi_only():
    assert sorted(path.name for path in (ROOT / "bulletin").glob("*.py")) == [
        "__init__.py",
        "asgi.py",
        "settings.py",
        "urls.py",
        "wsgi.py",
    ]
