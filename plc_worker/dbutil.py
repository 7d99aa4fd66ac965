from django import db


def close_stale_connection() -> None:
    """Drop a broken or expired database connection before a long-lived loop uses it again (healthchecks'
    sendalerts does the same). Skipped inside an atomic block (tests wrap everything in one)."""
    if not db.connection.in_atomic_block:
        db.close_old_connections()
