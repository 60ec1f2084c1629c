"""PostgreSQL only: tell every worker's token cache when something a token depends on
changes (careweave/access/tokencache.py).

Statement-level triggers send ``NOTIFY careweave_auth`` after any change of a token's
revocation, expiry, hash or membership; of a membership, a user's standing (not their
last login or password) or an organisation; and after any deletion or truncation of those
tables. PostgreSQL delivers the notification when the transaction commits, and only then.
On SQLite the token cache is off and nothing is needed.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION careweave_auth_changed() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('careweave_auth', TG_TABLE_NAME);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""
# table -> the columns whose UPDATE matters (None: every column)
WATCHED = {
    "access_apitoken": "revoked_at, expires_at, token_hash, membership_id",
    "orgs_membership": None,
    "auth_user": "is_active, is_staff, is_superuser, username, first_name, last_name, email",
    "orgs_organisation": None,
}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    for table, columns in WATCHED.items():
        update = f"UPDATE OF {columns}" if columns else "UPDATE"
        schema_editor.execute(
            f"CREATE TRIGGER {table}_auth_changed AFTER {update} OR DELETE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION careweave_auth_changed()")
        schema_editor.execute(
            f"CREATE TRIGGER {table}_auth_truncated AFTER TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION careweave_auth_changed()")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in WATCHED:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_auth_changed ON {table}")
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_auth_truncated ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS careweave_auth_changed()")


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0007_sharing_names_backfill"),
        ("orgs", "0004_data_quality_role"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
