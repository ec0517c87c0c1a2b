"""The suite's S3 server: a private SeaweedFS keeps its objects across a stop or a crash.

Chaos tests rely on this: they stop the S3 server, let the studio meet the outage,
and start it again expecting every object stored before to be there. A private
server serves most of the module (a start takes a few seconds, a graceful stop about
15); the crash test uses the `private_s3` fixture that chaos tests use.
"""

from __future__ import annotations

import importlib.util
from datetime import timedelta
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.s3server import SeaweedS3

BUCKET = "chaos-check"


@pytest.fixture(scope="module")
def private_server(tmp_path_factory):
    server = SeaweedS3(SeaweedS3.free_port(), tmp_path_factory.mktemp("seaweed")).start()
    server.ensure_bucket(BUCKET)
    yield server
    server.kill()


def _read(server, key):
    return server.client().get_object(Bucket=BUCKET, Key=key)["Body"].read()


def test_it_listens_on_loopback_only_on_the_ports_derived_from_its_s3_port(private_server):
    p = private_server.port

    listening = private_server.listening_addresses()

    assert {address for address, _ in listening} == {"127.0.0.1"}
    assert sorted(port for _, port in listening) == [
        p, p + 1, p + 2, p + 3, p + 10_000, p + 10_001, p + 10_002, p + 10_003,
    ]  # fmt: skip


def test_it_refuses_a_wrong_secret(private_server):
    stranger = boto3.client(
        "s3",
        endpoint_url=private_server.endpoint_url,
        aws_access_key_id="test",
        aws_secret_access_key="not-the-secret",
        region_name="us-east-1",
    )

    with pytest.raises(ClientError) as refused:
        stranger.list_buckets()

    assert refused.value.response["Error"]["Code"] == "SignatureDoesNotMatch"


def test_an_object_written_before_a_crash_is_read_back_after_a_restart(private_s3, settings):
    bucket = settings.S3_BUCKET or "studio-test"
    private_s3.client().put_object(Bucket=bucket, Key="before-crash.png", Body=b"\x89PNG" * 500)
    # As a chaos test would reach a server that `make test` started: by its folder.
    other = SeaweedS3(private_s3.port, private_s3.data_dir)
    assert other.pid == private_s3.pid

    other.kill()
    crashed = private_s3.running
    private_s3.start()

    body = private_s3.client().get_object(Bucket=bucket, Key="before-crash.png")["Body"].read()
    assert crashed is False
    assert body == b"\x89PNG" * 500


def test_a_stopped_server_frees_its_port_and_starts_again_with_its_data(private_server):
    private_server.client().put_object(Bucket=BUCKET, Key="before-stop.txt", Body=b"kept")

    private_server.stop()
    stopped = private_server.is_ready()
    private_server.start()

    assert stopped is False
    assert _read(private_server, "before-stop.txt") == b"kept"
    assert BUCKET in {b["Name"] for b in private_server.client().list_buckets()["Buckets"]}


def _test_services():
    path = Path(__file__).resolve().parents[1] / "scripts" / "test_services.py"
    spec = importlib.util.spec_from_file_location("test_services_script", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_make_test_deletes_objects_earlier_runs_left_but_keeps_recent_ones(private_server):
    script = _test_services()
    client = private_server.client()
    client.put_object(Bucket=BUCKET, Key="left-behind/1.png", Body=b"old")

    script.prune_bucket(private_server, BUCKET)
    kept = [o["Key"] for o in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    script.KEEP_TEST_OBJECTS = timedelta(seconds=-60)  # as if a day had passed
    script.prune_bucket(private_server, BUCKET)
    left = client.list_objects_v2(Bucket=BUCKET).get("Contents", [])

    assert "left-behind/1.png" in kept
    assert left == []
