"""PostgreSQL only: a submitted assessment is never changed in place.

UPDATE is refused unless the row was a draft (drafts are saved as they are filled in, and
submitted once), or the only change is ``person_id`` (merging two records of the same
person moves their assessments to the record that stays). A correction is a new row.
Instrument versions are refused any UPDATE at all (a change is a new version).

DELETE is left to the person's record (erasure and ``careweave demo --reset`` delete the
whole record, which cascades). On SQLite the model guards the rows (``Assessment.save``).
"""

from django.db import migrations

FUNCTIONS = """
CREATE OR REPLACE FUNCTION assessments_no_update() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'draft' THEN
        RETURN NEW;
    END IF;
    IF (to_jsonb(NEW) - 'person_id') IS DISTINCT FROM (to_jsonb(OLD) - 'person_id') THEN
        RAISE EXCEPTION 'a submitted assessment is never changed in place: record a correction';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION assessments_version_no_update() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'an instrument version is never changed: import a new version';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER assessments_assessment_no_update BEFORE UPDATE ON assessments_assessment
    FOR EACH ROW EXECUTE FUNCTION assessments_no_update();
CREATE TRIGGER assessments_instrumentversion_no_update BEFORE UPDATE
    ON assessments_instrumentversion
    FOR EACH ROW EXECUTE FUNCTION assessments_version_no_update();
"""
DROP = """
DROP TRIGGER IF EXISTS assessments_assessment_no_update ON assessments_assessment;
DROP TRIGGER IF EXISTS assessments_instrumentversion_no_update ON assessments_instrumentversion;
DROP FUNCTION IF EXISTS assessments_no_update();
DROP FUNCTION IF EXISTS assessments_version_no_update();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTIONS)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("assessments", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
