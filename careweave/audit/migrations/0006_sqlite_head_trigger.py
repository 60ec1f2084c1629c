"""On SQLite, a new audit event moves its chain's head (PostgreSQL does it in the same
statement as the insert, see careweave.audit.services._append)."""

from django.db import migrations

CREATE = """
CREATE TRIGGER IF NOT EXISTS audit_event_moves_head AFTER INSERT ON audit_auditevent
BEGIN
  INSERT INTO audit_chainhead (chain, seq, hash) VALUES (NEW.chain, NEW.seq, NEW.hash)
  ON CONFLICT(chain) DO UPDATE SET seq = excluded.seq, hash = excluded.hash;
END;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS audit_event_moves_head")


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_chain_heads_backfill")]

    operations = [migrations.RunPython(forwards, backwards)]
