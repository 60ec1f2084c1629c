"""The person's keys on their sharing rows, and on PostgreSQL a trigram index on them per
organisation (btree_gin puts the organisation in the same index), so that a name search
over one organisation's caseload is one index probe at any number of people."""

from django.db import migrations
from django.db.models import OuterRef, Subquery


def names(apps, schema_editor):
    sharing = apps.get_model("access", "Sharing")
    person = apps.get_model("people", "Person")
    of = person.objects.filter(pk=OuterRef("person_id"))
    sharing.objects.update(sort_name=Subquery(of.values("sort_name")[:1]),
                           sort_name_sv=Subquery(of.values("sort_name_sv")[:1]),
                           search_name=Subquery(of.values("search_name")[:1]))


def trigram(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS sharing_search_trgm ON access_sharing "
        "USING gin (organisation_id, search_name gin_trgm_ops)")


def no_trigram(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS sharing_search_trgm")


class Migration(migrations.Migration):
    dependencies = [("access", "0006_sharing_names"), ("people", "0004_dedupe_collation_identifiers")]

    operations = [
        migrations.RunPython(names, migrations.RunPython.noop),
        migrations.RunPython(trigram, no_trigram),
    ]
