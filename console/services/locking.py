"""Taking the rows a change acts on before changing them, on PostgreSQL and on SQLite alike."""

from sqlalchemy import delete


def begin_writing(session) -> None:
    """On SQLite, open the transaction with the database's write lock (BEGIN IMMEDIATE).

    SQLite has no row locks (`FOR UPDATE` is ignored there): holding the single write lock from
    the first read is what keeps a concurrent import or delete from acting on the same row.
    PostgreSQL needs nothing here; its callers lock the rows they read with `FOR UPDATE`.
    """
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    if not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def delete_exactly_once(session, model, row) -> bool:
    """Delete the row by its id *and* uuid; tell whether this transaction was the one to do so.

    The uuid makes a stale id harmless (a reused id never names another row), and the row count
    tells the loser of a race that the row was already gone.
    """
    result = session.execute(
        delete(model)
        .where(model.id == row.id, model.uuid == row.uuid)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    session.expunge(row)
    return True
