"""Full-text search over runs: a tsvector column, its GIN index and the trigger that fills it.

The index and the trigger exist on PostgreSQL only; on SQLite the column stays empty and
history search falls back to icontains (incidentdesk/search.py).
"""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.db import migrations

# Title weighs most, then what was learnt (cause, resolution), then the vendor's symptom text.
FUNCTION = """
CREATE OR REPLACE FUNCTION incidentdesk_run_search_update() RETURNS trigger AS $$
BEGIN
    NEW.search :=
        setweight(to_tsvector('english', coalesce(NEW.title, '')), 'A')
        || setweight(to_tsvector('english', coalesce(NEW.cause, '') || ' ' || coalesce(NEW.resolution, '')), 'B')
        || setweight(jsonb_to_tsvector('english', coalesce(NEW.symptoms::jsonb, '[]'::jsonb), '["string"]'), 'C');
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
"""
TRIGGER = """
CREATE TRIGGER incidentdesk_run_search
BEFORE INSERT OR UPDATE OF title, cause, resolution, symptoms ON incidentdesk_run
FOR EACH ROW EXECUTE FUNCTION incidentdesk_run_search_update();
"""
BACKFILL = "UPDATE incidentdesk_run SET title = title;"
DROP = """
DROP TRIGGER IF EXISTS incidentdesk_run_search ON incidentdesk_run;
DROP FUNCTION IF EXISTS incidentdesk_run_search_update();
"""


def _on_postgres(schema_editor) -> bool:
    return schema_editor.connection.vendor == "postgresql"


def create_search(apps, schema_editor) -> None:
    if not _on_postgres(schema_editor):
        return
    schema_editor.execute("CREATE INDEX run_search_gin ON incidentdesk_run USING gin (search);")
    schema_editor.execute(FUNCTION)
    schema_editor.execute(TRIGGER)
    schema_editor.execute(BACKFILL)


def drop_search(apps, schema_editor) -> None:
    if not _on_postgres(schema_editor):
        return
    schema_editor.execute(DROP)
    schema_editor.execute("DROP INDEX IF EXISTS run_search_gin;")


class Migration(migrations.Migration):

    dependencies = [
        ("incidentdesk", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="run",
            name="search",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(
                    model_name="run",
                    index=django.contrib.postgres.indexes.GinIndex(fields=["search"], name="run_search_gin"),
                ),
            ],
            database_operations=[migrations.RunPython(create_search, drop_search)],
        ),
    ]
