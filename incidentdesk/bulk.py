"""Writing many rows' fields back in one statement.

Django's `bulk_update` builds a CASE WHEN per row and field; for a few dozen rows that costs
more Python than the work it saves. On PostgreSQL the rows travel as one JSON document, read
back as typed columns by `jsonb_to_recordset`: one short statement and one parameter whatever
their number. Elsewhere `bulk_update` is good enough.
"""

import json
from collections.abc import Sequence
from datetime import date, datetime, time

from django.db import connections, router
from django.db.models import Model


def _json_default(value):
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def rows_update(objs: Sequence[Model], fields: Sequence[str]) -> int:
    """Write `fields` of every object in `objs` (all of one model) to its row; rows written."""
    if not objs:
        return 0
    model = type(objs[0])
    alias = router.db_for_write(model)
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return model._default_manager.using(alias).bulk_update(objs, fields)
    meta = model._meta
    columns = [meta.pk, *(meta.get_field(name) for name in fields)]
    qn = connection.ops.quote_name
    table = qn(meta.db_table)
    record = ", ".join(f"{qn(field.column)} {field.cast_db_type(connection)}" for field in columns[1:])
    assignments = ", ".join(f"{qn(field.column)} = v.{qn(field.column)}" for field in columns[1:])
    pk = qn(meta.pk.column)
    sql = (
        f"UPDATE {table} SET {assignments} "
        f"FROM jsonb_to_recordset(%s::jsonb) AS v({pk} {meta.pk.cast_db_type(connection)}, {record}) "
        f"WHERE {table}.{pk} = v.{pk}"
    )
    rows = [{field.column: getattr(obj, field.attname) for field in columns} for obj in objs]
    with connection.cursor() as cursor:
        cursor.execute(sql, [json.dumps(rows, default=_json_default)])
        return cursor.rowcount
