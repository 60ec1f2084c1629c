"""The sharing summary for the records that existed before it."""

from django.db import migrations


def forwards(apps, schema_editor):
    from careweave.access.sharing import recompute_everyone

    recompute_everyone(models={name: apps.get_model(app, name) for app, name in (
        ("people", "Person"), ("access", "CareTeamMember"), ("access", "Consent"),
        ("access", "Sharing"))})


class Migration(migrations.Migration):
    dependencies = [("access", "0004_sharing")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
