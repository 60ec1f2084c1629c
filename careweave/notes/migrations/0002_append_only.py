"""PostgreSQL only: case notes and their attachments are append-only.

- UPDATE is refused (an amendment is a new row), except a change of ``person_id`` alone:
  merging two records of the same person moves their notes to the record that stays.
- DELETE is refused unless the person's whole record is deleted in the same transaction
  (erasing a record, or ``careweave demo --reset``): a deferred constraint trigger checks,
  at commit, that the person row is gone too. Deleting a note on its own fails at commit.

TRUNCATE (test isolation) is not affected by row triggers. On SQLite only the model guards
the tables (``AppendOnlyModel``).
"""

from django.db import migrations

TABLES = ("notes_casenote", "notes_attachment")

CREATE_FUNCTIONS = """
CREATE OR REPLACE FUNCTION notes_no_update() RETURNS trigger AS $$
BEGIN
    IF (to_jsonb(NEW) - 'person_id') IS DISTINCT FROM (to_jsonb(OLD) - 'person_id') THEN
        RAISE EXCEPTION 'case notes are never changed in place: add an amendment';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION notes_delete_only_with_record() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM people_person WHERE id = OLD.person_id) THEN
        RAISE EXCEPTION 'case notes are never deleted (only with the whole record)';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""
TRIGGERS = """
CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
    FOR EACH ROW EXECUTE FUNCTION notes_no_update();
CREATE CONSTRAINT TRIGGER {table}_no_delete AFTER DELETE ON {table}
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION notes_delete_only_with_record();
"""
DROP = """
DROP TRIGGER IF EXISTS {table}_no_update ON {table};
DROP TRIGGER IF EXISTS {table}_no_delete ON {table};
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_FUNCTIONS)
        for table in TABLES:
            schema_editor.execute(TRIGGERS.format(table=table))


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(DROP.format(table=table))
        schema_editor.execute("DROP FUNCTION IF EXISTS notes_no_update();"
                              "DROP FUNCTION IF EXISTS notes_delete_only_with_record();")


class Migration(migrations.Migration):
    dependencies = [("notes", "0001_initial"), ("people", "0003_timeline")]
    operations = [migrations.RunPython(forwards, backwards)]
