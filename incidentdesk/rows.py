"""Writing rows on the hot paths without the ORM's per-object cost.

`row_insert` is `Model.objects.create` for one webhook per request: the statement is built
once per model, not per row, and its values are bound on the server.

`rows_update` and `rows_insert` write many rows at once. Django's `bulk_update` builds a CASE
WHEN per row and field, and `bulk_create` prepares every value of every row in Python; for a
batch of grouped alerts that costs more than the work it saves. On PostgreSQL the rows travel
as one JSON document, read back as typed columns by `jsonb_to_recordset`: one short statement
and one parameter whatever their number. Elsewhere Django's bulk methods are good enough.
"""

import json
from collections.abc import Sequence
from datetime import date, datetime, time

from django.db import connections, router
from django.db.models import Field, Model

_INSERTS: dict[tuple, tuple[str, list[Field], frozenset[str]]] = {}
_DEFAULT = object()


def _connection_for(model: type[Model]):
    alias = router.db_for_write(model)
    return alias, connections[alias]


def row_insert(model: type[Model], values: dict) -> int:
    """Insert one row from field values (others take their defaults); its primary key.

    Unlike `create` it runs no `pre_save` (no `auto_now`) and sends no signals.
    """
    alias, connection = _connection_for(model)
    statement = _INSERTS.get((model, alias))
    if statement is None:
        meta = model._meta
        fields = [field for field in meta.concrete_fields if not field.primary_key]
        qn = connection.ops.quote_name
        sql = (f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
               f"VALUES ({', '.join(['%s'] * len(fields))})")
        if connection.features.can_return_columns_from_insert:
            sql += f" RETURNING {qn(meta.pk.column)}"
        names = frozenset(f.attname for f in fields) | frozenset(f.name for f in fields)
        statement = _INSERTS[(model, alias)] = (sql, fields, names)
    sql, fields, names = statement
    unknown = values.keys() - names
    if unknown:
        raise TypeError(f"{model.__name__} has no field {', '.join(sorted(unknown))}")
    params = []
    for field in fields:
        value = values[field.attname] if field.attname in values else values.get(field.name, _DEFAULT)
        if value is _DEFAULT:
            value = field.get_default()
        params.append(field.get_db_prep_save(value, connection))
    with _binding_cursor(connection) as cursor:
        cursor.execute(sql, params)
        if connection.features.can_return_columns_from_insert:
            return cursor.fetchone()[0]
        return cursor.lastrowid


def _json_default(value):
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _binding_cursor(connection):
    """A cursor that sends the parameters apart from the statement, where the database can.

    Django's PostgreSQL cursors bind on the client, quoting every value into the SQL text in
    Python. For a statement sent thousands of times that quoting is a tenth of its cost, and
    a statement PostgreSQL has parsed once (psycopg prepares it after a few runs) is cheaper
    for the server too.
    """
    if connection.vendor != "postgresql":
        return connection.cursor()
    import psycopg

    connection.ensure_connection()
    return connection.make_cursor(psycopg.Cursor(connection.connection))


def rows_update(objs: Sequence[Model], fields: Sequence[str]) -> int:
    """Write `fields` of every object in `objs` (all of one model) to its row; rows written."""
    if not objs:
        return 0
    model = type(objs[0])
    alias, connection = _connection_for(model)
    if connection.vendor != "postgresql":
        return model._default_manager.using(alias).bulk_update(objs, fields)
    meta = model._meta
    qn = connection.ops.quote_name
    table, pk = qn(meta.db_table), qn(meta.pk.column)
    columns = [meta.get_field(name) for name in fields]
    assignments = ", ".join(f"{qn(field.column)} = v.{qn(field.column)}" for field in columns)
    sql = (f"UPDATE {table} SET {assignments} FROM {_recordset(connection, [meta.pk, *columns])} "
           f"WHERE {table}.{pk} = v.{pk}")
    return _execute(connection, sql, objs, [meta.pk, *columns])


def rows_insert(objs: Sequence[Model], *, ignore_conflicts: bool = False) -> int:
    """Insert every object in `objs` (all of one model, primary keys left to the database); rows inserted.

    Unlike `bulk_create` it sets no primary key on the objects and runs no `pre_save`.
    """
    if not objs:
        return 0
    model = type(objs[0])
    alias, connection = _connection_for(model)
    if connection.vendor != "postgresql":
        return len(model._default_manager.using(alias).bulk_create(objs, ignore_conflicts=ignore_conflicts))
    meta = model._meta
    qn = connection.ops.quote_name
    columns = [field for field in meta.concrete_fields if not field.primary_key]
    names = ", ".join(qn(field.column) for field in columns)
    sql = (f"INSERT INTO {qn(meta.db_table)} ({names}) SELECT {names} FROM {_recordset(connection, columns)}"
           + (" ON CONFLICT DO NOTHING" if ignore_conflicts else ""))
    return _execute(connection, sql, objs, columns)


def _recordset(connection, columns: Sequence[Field]) -> str:
    """The rows of the one JSON parameter as a table `v` with these typed columns."""
    qn = connection.ops.quote_name
    record = ", ".join(f"{qn(field.column)} {field.cast_db_type(connection)}" for field in columns)
    return f"jsonb_to_recordset(%s::jsonb) AS v({record})"


def _execute(connection, sql: str, objs: Sequence[Model], columns: Sequence[Field]) -> int:
    rows = [{field.column: getattr(obj, field.attname) for field in columns} for obj in objs]
    with connection.cursor() as cursor:
        cursor.execute(sql, [json.dumps(rows, default=_json_default)])
        return cursor.rowcount
