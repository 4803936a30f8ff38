"""Which database the suite runs on: `make test` runs it on SQLite, then on PostgreSQL.

The PostgreSQL pass (scripts/with-postgres.sh) is only worth its time if the tests really talk
to PostgreSQL: this fails if DATABASE_URL names a server that the connection does not use.
"""
import os

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_the_connection_is_the_database_that_database_url_names():
    url = os.environ.get("DATABASE_URL", "")
    expected = "postgresql" if url.startswith(("postgres://", "postgresql://")) else "sqlite"
    if url and expected == "sqlite" and not url.startswith("sqlite"):
        pytest.skip(f"DATABASE_URL names another database: {url.split(':')[0]}")
    assert connection.vendor == expected
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
    if expected == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            assert int(cursor.fetchone()[0].split(".")[0]) >= 13
