# The honoraria live in articles.honoraria now (its 0002 moved them there first).

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("submissions", "0002_text_length_limits"),
        ("honoraria", "0002_honoraria_from_submissions"),
    ]

    operations = [
        migrations.RemoveField(model_name="submission", name="honorarium_amount"),
        migrations.RemoveField(model_name="submission", name="honorarium_paid_on"),
    ]
