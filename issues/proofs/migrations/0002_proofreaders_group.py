"""The 校对 group: proofreaders see issues, articles and proof rounds, and record corrections."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "校对"
PERMISSIONS = [
    ("issues", "view_issue"),
    ("articles", "view_article"),
    ("proofs", "view_proofround"),
    ("proofs", "view_correction"),
    ("proofs", "add_correction"),
]


def create_group(apps, schema_editor):
    # Permissions are otherwise created after all migrations have run; this one needs them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name=GROUP)
    for app_label, codename in PERMISSIONS:
        group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("proofs", "0001_proof_rounds"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
