"""Benchmark: importing a bundle whose .docx body holds 100 MB of XML; a report, exits 0 unless it crashes.

Such a body zips to a few hundred KB. Before the bundles went through the guarded Word converter
(articles/word.py) mammoth parsed it as it was: about 127 s and 3.5 GB of memory. The target is
that `import_issue` refuses it, naming the file, within seconds and under 300 MB of memory.

Each figure is one fresh process, timed from outside, its peak memory read from the kernel
(wait4): the import through `manage.py import_issue`, and as the baseline the unguarded path, plain
`mammoth.convert_to_html` on the same body (as bundles/bodies.py called it before). The baseline
takes about two minutes and several GB at full size; `--baseline-mb 10` runs it on a 10 MB body
and scales it, saying so. In a temporary folder removed afterwards:

    .venv/bin/python benchmarks/word_bomb.py [--megabytes 100] [--baseline-mb 100]
"""

import argparse
import datetime
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MB = 1024 * 1024
TARGET_SECONDS, TARGET_MB = 5.0, 300


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=100, help="XML in the body's main document")
    parser.add_argument("--baseline-mb", type=int, default=100, help="XML for the unguarded mammoth baseline")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bulletin-word-bomb-"))
    try:
        run(work, args.megabytes, args.baseline_mb)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(work: Path, megabytes: int, baseline_mb: int):
    sys.path.insert(0, str(REPO))
    os.environ.pop("BULLETIN_SECRET_KEY", None)
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "bulletin.settings",
        "BULLETIN_DATA_DIR": str(work / "data"),
        "DATABASE_URL": f"sqlite:///{work / 'db.sqlite3'}",
    }
    os.environ.update(env)
    import django

    django.setup()
    import tomli_w

    from tests.test_bundles import docx_holding_xml

    bundle = work / "bundle"
    (bundle / "articles").mkdir(parents=True)
    body = docx_holding_xml(megabytes)
    (bundle / "articles" / "01.docx").write_bytes(body)
    manifest = {
        "year": 2017,
        "number": 3,
        "total_number": 28,
        "date": datetime.date(2017, 5, 31),
        "articles": [{"section": "业界交流", "title": "调研报告", "body": "articles/01.docx"}],
    }
    (bundle / "issue.toml").write_text(tomli_w.dumps(manifest), "utf-8")
    print(f"bundle body: articles/01.docx, {len(body) / 1024:.0f} KB zipped, {megabytes} MB of XML inside")

    manage = [sys.executable, str(REPO / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, check=True, cwd=REPO)

    seconds, peak, code, said = measured([*manage, "import_issue", str(bundle)], env)
    refused = code != 0 and "articles/01.docx" in said
    print(f"\nguarded import (manage.py import_issue): {seconds:.2f} s, peak {peak:.0f} MB, exit {code}")
    print(f"  said: {said.strip().splitlines()[-1] if said.strip() else '(nothing)'}")

    baseline_body = work / "baseline.docx"
    baseline_body.write_bytes(body if baseline_mb == megabytes else docx_holding_xml(baseline_mb))
    convert = f"import io, mammoth; mammoth.convert_to_html(io.BytesIO(open({str(baseline_body)!r}, 'rb').read()))"
    base_seconds, base_peak, base_code, base_said = measured([sys.executable, "-c", convert], env)
    scale = megabytes / baseline_mb
    print(f"\nbaseline, unguarded mammoth on {baseline_mb} MB of XML: {base_seconds:.1f} s, peak {base_peak:.0f} MB")
    if scale != 1:
        print(
            f"  scaled to {megabytes} MB (mammoth's cost grows with the XML): "
            f"{base_seconds * scale:.0f} s, {base_peak * scale:.0f} MB"
        )
    if base_code:
        print(f"  baseline failed: {base_said.strip().splitlines()[-1]}")

    print("\nfigure                 target        guarded    baseline   ratio (baseline / guarded)  verdict")
    rows = [
        ("time (s)", f"≤ {TARGET_SECONDS:.0f}", seconds, base_seconds * scale, seconds <= TARGET_SECONDS),
        ("peak memory (MB)", f"≤ {TARGET_MB}", peak, base_peak * scale, peak <= TARGET_MB),
    ]
    for name, target, guarded, baseline, ok in rows:
        print(
            f"{name:<22} {target:<13} {guarded:>8.1f} {baseline:>11.1f} {baseline / guarded:>14.0f}×"
            f"               {'PASS' if ok else 'FAIL'}"
        )
    print(f"refused, naming the file: {'PASS' if refused else 'FAIL'}")


def measured(command, env):
    """Run `command` in a fresh process: (wall seconds, its peak RSS in MB, exit code, what it wrote to stderr)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stderr = process.stderr.read().decode()
    _pid, status, usage = os.wait4(process.pid, 0)  # the child's own peak, not the largest child's so far
    process.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - started, usage.ru_maxrss / 1024, process.returncode, stderr


if __name__ == "__main__":
    main()
