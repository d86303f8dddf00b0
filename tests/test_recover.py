"""`manage.py recover`: what a process killed mid-way left behind is cleaned up."""

import io
import subprocess
import sys

import pytest
from django.core.management import call_command

from issues.files import write_atomically
from issues.models import IssuePDF
from issues.processes import current_process
from tests.factories import make_issue

pytestmark = pytest.mark.django_db


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_build_left_building_by_a_dead_process_is_marked_failed_and_the_old_pdf_stays(client):
    issue = make_issue(status="published")
    record = IssuePDF.objects.create(issue=issue, variant="screen", status="done", file_name="issues/2017-1/a.pdf")
    write_atomically(record.path, b"%PDF-1.7 the previous build")
    _pid, host = current_process()
    IssuePDF.objects.filter(pk=record.pk).update(status="building", builder_pid=dead_pid(), builder_host=host)
    running = IssuePDF.objects.create(issue=make_issue(number=2), variant="screen", status="building")
    IssuePDF.objects.filter(pk=running.pk).update(builder_pid=current_process()[0], builder_host=host)

    out = io.StringIO()
    call_command("recover", stdout=out)
    assert "已把中断的 PDF 生成 1 项标为失败" in out.getvalue()
    record.refresh_from_db(), running.refresh_from_db()
    assert record.status == IssuePDF.Status.FAILED and "意外中止" in record.error
    assert running.status == IssuePDF.Status.BUILDING  # its process (this one) still runs
    assert issue.screen_pdf() == record and record.path.read_bytes() == b"%PDF-1.7 the previous build"


def test_the_issue_page_shows_a_dead_build_as_failed(staff_client):
    issue = make_issue()
    record = IssuePDF.objects.create(issue=issue, variant="screen")
    _pid, host = current_process()
    IssuePDF.objects.filter(pk=record.pk).update(status="building", builder_pid=dead_pid(), builder_host=host)
    page = staff_client.get(f"/admin/issues/issue/{issue.pk}/change/").content.decode()
    assert "生成失败" in page and "意外中止" in page
