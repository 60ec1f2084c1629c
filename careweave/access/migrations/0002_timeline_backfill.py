"""Timeline entries for the records that existed before the timeline."""

from django.db import migrations


def forwards(apps, schema_editor):
    from careweave.access.backfill import backfill

    models = {name: apps.get_model(app, name) for app, name in (
        ("people", "Person"), ("people", "RelatedPerson"), ("access", "CareTeamMember"), ("access", "Consent"),
        ("access", "BreakGlass"), ("people", "TimelineEntry"))}
    if models["TimelineEntry"].objects.exists():
        return
    backfill(models=models)


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0001_initial"),
        ("people", "0003_timeline"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
