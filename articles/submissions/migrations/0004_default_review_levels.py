"""三审 by default: 初审 → 复审 → 终审, each held by a group with what it needs on submissions.

Submissions already in review start again at the first level; those accepted before the levels
existed count as reviewed, so their articles do not stop an issue from being published.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.models import Min, Q

LEVELS = [("初审", "初审编辑"), ("复审", "复审编辑"), ("终审", "终审编辑")]
PERMISSIONS = [
    "view_submission", "change_submission", "view_manuscript", "view_submissionevent",
    "view_review", "add_review", "view_reviewlevel", "view_expertinvitation", "add_expertinvitation",
]  # fmt: skip


def add_levels(apps, schema_editor):
    app_config = apps.get_app_config("submissions")
    app_config.models_module = True  # permissions are otherwise made only after the last migration
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ReviewLevel = apps.get_model("submissions", "ReviewLevel")
    Submission = apps.get_model("submissions", "Submission")
    permissions = Permission.objects.filter(content_type__app_label="submissions", codename__in=PERMISSIONS)
    levels = []
    for position, (name, group_name) in enumerate(LEVELS, start=1):
        group, _created = Group.objects.get_or_create(name=group_name)
        group.permissions.add(*permissions)
        levels.append(ReviewLevel.objects.get_or_create(name=name, defaults={"position": position, "group": group})[0])
    Submission.objects.filter(status__in=["under_review", "revision"]).update(review_level=levels[0])
    for submission in Submission.objects.filter(status="accepted").annotate(
        accepted_at=Min("events__changed_at", filter=Q(events__to_status="accepted"))
    ):
        submission.reviews_passed_at = submission.accepted_at or submission.submitted_at
        submission.save(update_fields=["reviews_passed_at"])


def remove_levels(apps, schema_editor):
    apps.get_model("submissions", "Submission").objects.update(review_level=None, reviews_passed_at=None)
    apps.get_model("submissions", "ReviewLevel").objects.all().delete()
    apps.get_model("auth", "Group").objects.filter(name__in=[group for _name, group in LEVELS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("submissions", "0003_reviews"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(add_levels, remove_levels)]
