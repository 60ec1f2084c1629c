"""The instruments Careweave ships (careweave.assessments.definitions), stored as data:
PHQ-9, GAD-7, the three-item loneliness scale, the social needs screen and the holistic
needs assessment, each in English and Swedish. Later versions come by import."""

import hashlib
import json

from django.db import migrations


def digest(definition):
    blob = json.dumps(definition, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def forwards(apps, schema_editor):
    from careweave.assessments.definitions import SHIPPED

    Instrument = apps.get_model("assessments", "Instrument")
    InstrumentVersion = apps.get_model("assessments", "InstrumentVersion")
    for definition in SHIPPED:
        instrument, _created = Instrument.objects.get_or_create(
            code=definition["code"], defaults={"name": definition["name"]})
        version = InstrumentVersion.objects.filter(instrument=instrument,
                                                   version=definition["version"]).first()
        if version is None:
            version = InstrumentVersion.objects.create(
                instrument=instrument, version=definition["version"], definition=definition,
                content_hash=digest(definition), source="shipped")
        if instrument.current_id is None:
            instrument.current = version
            instrument.save(update_fields=["current"])


class Migration(migrations.Migration):
    dependencies = [("assessments", "0002_append_only")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
