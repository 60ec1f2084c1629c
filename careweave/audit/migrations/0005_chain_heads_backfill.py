"""The head of every chain, from the events that exist."""

from django.db import migrations

CHAINS = 64
GENESIS = "0" * 64


def forwards(apps, schema_editor):
    event = apps.get_model("audit", "AuditEvent")
    head = apps.get_model("audit", "ChainHead")
    rows = []
    for chain in range(CHAINS):
        last = event.objects.filter(chain=chain).order_by("-seq").values_list("seq", "hash").first()
        rows.append(head(chain=chain, seq=last[0] if last else 0, hash=last[1] if last else GENESIS))
    head.objects.bulk_create(rows, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_chain_heads")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
