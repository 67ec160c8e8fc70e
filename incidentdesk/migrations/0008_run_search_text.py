"""History search reaches what the run page shows: `search_text` (written with each packet) joins
the PostgreSQL tsvector, and SQLite gets an FTS5 table (porter stemming) kept by triggers."""

from django.db import migrations, models

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION incidentdesk_run_search_update() RETURNS trigger AS $$
BEGIN
    NEW.search :=
        setweight(to_tsvector('english', coalesce(NEW.title, '')), 'A')
        || setweight(to_tsvector('english', coalesce(NEW.cause, '') || ' ' || coalesce(NEW.resolution, '')), 'B')
        || setweight(jsonb_to_tsvector('english', coalesce(NEW.symptoms::jsonb, '[]'::jsonb), '["string"]'), 'C')
        || setweight(to_tsvector('english', coalesce(NEW.search_text, '')), 'C');
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS incidentdesk_run_search ON incidentdesk_run;
CREATE TRIGGER incidentdesk_run_search
BEFORE INSERT OR UPDATE OF title, cause, resolution, symptoms, search_text ON incidentdesk_run
FOR EACH ROW EXECUTE FUNCTION incidentdesk_run_search_update();
"""
PG_PREVIOUS = """
CREATE OR REPLACE FUNCTION incidentdesk_run_search_update() RETURNS trigger AS $$
BEGIN
    NEW.search :=
        setweight(to_tsvector('english', coalesce(NEW.title, '')), 'A')
        || setweight(to_tsvector('english', coalesce(NEW.cause, '') || ' ' || coalesce(NEW.resolution, '')), 'B')
        || setweight(jsonb_to_tsvector('english', coalesce(NEW.symptoms::jsonb, '[]'::jsonb), '["string"]'), 'C');
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS incidentdesk_run_search ON incidentdesk_run;
CREATE TRIGGER incidentdesk_run_search
BEFORE INSERT OR UPDATE OF title, cause, resolution, symptoms ON incidentdesk_run
FOR EACH ROW EXECUTE FUNCTION incidentdesk_run_search_update();
"""
SQLITE_BODY = "coalesce({row}.symptoms, '') || ' ' || {row}.cause || ' ' || {row}.resolution || ' ' || {row}.search_text"
SQLITE = [
    "CREATE VIRTUAL TABLE incidentdesk_run_fts USING fts5(title, body, tokenize='porter unicode61')",
    "CREATE TRIGGER incidentdesk_run_fts_insert AFTER INSERT ON incidentdesk_run BEGIN "
    "INSERT INTO incidentdesk_run_fts(rowid, title, body) VALUES (new.id, new.title, "
    + SQLITE_BODY.format(row="new") + "); END",
    "CREATE TRIGGER incidentdesk_run_fts_update AFTER UPDATE OF title, symptoms, cause, resolution, search_text "
    "ON incidentdesk_run BEGIN DELETE FROM incidentdesk_run_fts WHERE rowid = old.id; "
    "INSERT INTO incidentdesk_run_fts(rowid, title, body) VALUES (new.id, new.title, "
    + SQLITE_BODY.format(row="new") + "); END",
    "CREATE TRIGGER incidentdesk_run_fts_delete AFTER DELETE ON incidentdesk_run BEGIN "
    "DELETE FROM incidentdesk_run_fts WHERE rowid = old.id; END",
    "INSERT INTO incidentdesk_run_fts(rowid, title, body) SELECT id, title, "
    + SQLITE_BODY.format(row="incidentdesk_run") + " FROM incidentdesk_run",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS incidentdesk_run_fts_insert",
    "DROP TRIGGER IF EXISTS incidentdesk_run_fts_update",
    "DROP TRIGGER IF EXISTS incidentdesk_run_fts_delete",
    "DROP TABLE IF EXISTS incidentdesk_run_fts",
]


def create(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION)
    elif vendor == "sqlite":
        for statement in SQLITE:
            schema_editor.execute(statement)


def drop(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_PREVIOUS)
    elif vendor == "sqlite":
        for statement in SQLITE_DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ("incidentdesk", "0007_confirmed_cause"),
    ]

    operations = [
        migrations.AddField(
            model_name="run",
            name="search_text",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.RunPython(create, drop),
    ]
