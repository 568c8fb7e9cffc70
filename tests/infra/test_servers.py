"""The test servers themselves work: a query on the PostgreSQL, an object through the S3 server."""

import sqlalchemy as sa

from tests.infra.s3 import ACCESS_KEY, REGION, SECRET_KEY


def test_postgres_answers_and_restarts(postgres):
    url = postgres.create_database()
    engine = sa.create_engine(url)
    with engine.connect() as c:
        assert c.execute(sa.text("select 1 + 1")).scalar_one() == 2
    postgres.restart()
    engine.dispose()
    with engine.connect() as c:
        assert "PostgreSQL" in c.execute(sa.text("select version()")).scalar_one()
    engine.dispose()


def test_s3_server_keeps_an_object(s3):
    import pyarrow.fs as pafs

    bucket = s3.create_bucket()
    fs = pafs.S3FileSystem(
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        region=REGION,
        endpoint_override=s3.endpoint,
        scheme="http",
    )
    with fs.open_output_stream(f"{bucket}/a/b.txt") as f:
        f.write(b"kept")
    with fs.open_input_stream(f"{bucket}/a/b.txt") as f:
        assert f.read() == b"kept"


def test_cluster_spaces_are_apart_and_reach_their_servers(cluster):
    """Each `fresh()` is a database and a bucket of its own; its variables and store reach them."""
    one, two = cluster.fresh("root"), cluster.fresh("root")
    assert one.database_url != two.database_url and one.bucket != two.bucket
    env = one.env()
    assert env["LOG_ASSETS_STORAGE_URL"] == f"s3://{one.bucket}/root"
    assert env["AWS_ENDPOINT_URL"] == cluster.s3.endpoint
    engine = sa.create_engine(env["LOG_ASSETS_DATABASE_URL"])
    with engine.connect() as c:
        assert c.execute(sa.text("select current_database()")).scalar_one() == one.database_url.rsplit("/", 1)[1]
    engine.dispose()
    one.storage().write_bytes("a/b.txt", b"kept")
    assert one.storage().read_bytes("a/b.txt") == b"kept"
    assert not [o.key for o in two.storage().list("a")]
