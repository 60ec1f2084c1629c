"""Events are written unsealed and sealed into their chain shortly after commit
(docs/adr/0012): ``seq`` may be NULL and the hashes empty until then.

The append-only guard now allows exactly one UPDATE, unsealed -> sealed: ``seq`` from NULL
to a number, ``prev_hash`` and ``hash`` from '' to a value, every other column unchanged.
Every other UPDATE, and every DELETE, is refused, on PostgreSQL (the function of migration
0002, rewritten) and now on SQLite too (two triggers).

On SQLite a migration that alters this table rebuilds it, which drops its triggers: such a
migration must create them again (as this one does for the head trigger of 0006). A new
column must also be added to ``SQLITE_SAME`` below (PostgreSQL compares whole rows).
"""

from django.db import migrations, models

PG_GUARD = """
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$
DECLARE
    unsealed audit_auditevent;
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND NEW.seq IS NOT NULL
       AND OLD.prev_hash = '' AND NEW.prev_hash <> '' AND OLD.hash = '' AND NEW.hash <> '' THEN
        -- sealing, the one change an event may have: the new row, unsealed again, must be
        -- the old row (every column, present and future)
        unsealed := NEW;
        unsealed.seq := NULL;
        unsealed.prev_hash := '';
        unsealed.hash := '';
        IF unsealed IS NOT DISTINCT FROM OLD THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$ LANGUAGE plpgsql;
"""
PG_GUARD_BEFORE = """
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$ LANGUAGE plpgsql;
"""

SQLITE_SAME = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in (
    "id", "chain", "at", "user_id", "username", "membership_id", "organisation_id",
    "organisation_name", "role", "action", "outcome", "person_id", "object_type",
    "object_id", "purpose", "legal_basis", "channel", "request_id", "detail"))
SQLITE_GUARD = [
    f"""
CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit_auditevent
WHEN NOT coalesce(OLD.seq IS NULL AND NEW.seq IS NOT NULL
                  AND OLD.prev_hash = '' AND NEW.prev_hash <> ''
                  AND OLD.hash = '' AND NEW.hash <> '' AND {SQLITE_SAME}, 0)
BEGIN
  SELECT RAISE(ABORT, 'the audit log is append-only');
END;
""",
    """
CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit_auditevent
BEGIN
  SELECT RAISE(ABORT, 'the audit log is append-only');
END;
""",
]
# Migration 0006's trigger, dropped with the table as SQLite rebuilt it: a sealed insert
# (the seed writes sealed history in bulk) still moves its chain's head.
SQLITE_HEAD = """
CREATE TRIGGER IF NOT EXISTS audit_event_moves_head AFTER INSERT ON audit_auditevent
WHEN NEW.seq IS NOT NULL
BEGIN
  INSERT INTO audit_chainhead (chain, seq, hash) VALUES (NEW.chain, NEW.seq, NEW.hash)
  ON CONFLICT(chain) DO UPDATE SET seq = excluded.seq, hash = excluded.hash;
END;
"""
SQLITE_HEAD_BEFORE = SQLITE_HEAD.replace("WHEN NEW.seq IS NOT NULL\n", "")


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_GUARD)
    elif vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS audit_event_moves_head")
        schema_editor.execute(SQLITE_HEAD)
        for sql in SQLITE_GUARD:
            schema_editor.execute(sql)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_GUARD_BEFORE)
    elif vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS audit_append_only_update")
        schema_editor.execute("DROP TRIGGER IF EXISTS audit_append_only_delete")
        schema_editor.execute("DROP TRIGGER IF EXISTS audit_event_moves_head")
        schema_editor.execute(SQLITE_HEAD_BEFORE)


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0007_drop_time_index'),
    ]

    operations = [
        migrations.AlterField(
            model_name='auditevent',
            name='hash',
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='prev_hash',
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='seq',
            field=models.PositiveBigIntegerField(null=True),
        ),
        migrations.AddIndex(
            model_name='auditevent',
            index=models.Index(condition=models.Q(('seq__isnull', True)), fields=['id'], name='audit_unsealed_idx'),
        ),
        # Sealed events only: an unsealed insert adds no entry to the unique index.
        migrations.RemoveConstraint(
            model_name='auditevent',
            name='audit_chain_seq',
        ),
        migrations.AddConstraint(
            model_name='auditevent',
            constraint=models.UniqueConstraint(condition=models.Q(('seq__isnull', False)), fields=('chain', 'seq'), name='audit_chain_seq'),
        ),
        migrations.RunPython(forwards, backwards),
    ]
