"""PostgreSQL: deleting case notes is also allowed while the session says it is erasing
whole records (``SET LOCAL careweave.erasing = 'on'``, as ``careweave demo --reset`` does),
so that records deleted and created again in one transaction (a re-seeded population
with the same ids) do not trip the check."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION notes_delete_only_with_record() RETURNS trigger AS $$
BEGIN
    IF current_setting('careweave.erasing', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF EXISTS (SELECT 1 FROM people_person WHERE id = OLD.person_id) THEN
        RAISE EXCEPTION 'case notes are never deleted (only with the whole record)';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION)


class Migration(migrations.Migration):
    dependencies = [("notes", "0002_append_only")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
