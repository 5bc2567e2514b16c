"""Real servers for tests, on free loopback ports, stopped by PID: SeaweedFS (`weed`) and moto_server.

Both speak S3 over HTTP, so the code under test runs exactly as in production (boto3, pyarrow,
polars talk to an endpoint). Import the helpers from any room's tests::

    server = start_seaweedfs(tmp_dir)      # persistent: for crash/restart tests
    server = start_moto(tmp_dir)           # fast, in-memory: for API tests
    server.create_bucket("lake"); env = server.env(); ...; server.stop()
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

BIN = Path(sys.executable).parent
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1"}


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_pid(process: subprocess.Popen, timeout: float = 5.0) -> None:
    """SIGTERM the process by PID, then SIGKILL if it has not ended within `timeout` seconds."""
    if process.poll() is not None:
        return
    os.kill(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout)


@dataclass
class S3Server:
    """An S3-compatible server process; `endpoint` is its http://127.0.0.1:PORT address."""

    name: str
    command: list[str]
    endpoint: str
    log_path: Path
    startup_timeout: float = 60.0
    stop_timeout: float = 5.0  # SIGTERM grace before SIGKILL
    # what must also hold before the server counts as up (beyond answering ListBuckets)
    serving: Callable[[], bool] | None = field(default=None, repr=False)
    process: subprocess.Popen | None = field(default=None, repr=False)

    def env(self, endpoint: str | None = None) -> dict[str, str]:
        """AWS_* variables (the standard chain) that point a client at this server (or at `endpoint`)."""
        return {
            **CREDENTIALS,
            "AWS_ENDPOINT_URL": endpoint or self.endpoint,
            "AWS_EC2_METADATA_DISABLED": "true",  # no instance-metadata probes on a machine without a cloud
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            region_name=CREDENTIALS["AWS_REGION"],
        )

    def start(self) -> S3Server:
        """Start the process and wait until it answers S3 requests."""
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child, closed below
        try:
            self.process = subprocess.Popen(self.command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        finally:
            log.close()
        deadline = time.monotonic() + self.startup_timeout
        client = self.client()
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see {self.log_path}")
            problem = self._not_up(client)
            if problem is None:
                return self
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{self.name} did not come up within {self.startup_timeout}s: {problem}")
            time.sleep(0.2)

    def _not_up(self, client) -> str | None:
        """Why the server is not up yet (None: it is)."""
        try:
            client.list_buckets()
        except Exception as exc:  # noqa: BLE001 - not up yet: connection refused, 5xx while starting
            return repr(exc)
        if self.serving is not None and not self.serving():
            return "answers ListBuckets but does not serve objects yet"
        return None

    def stop(self) -> None:
        if self.process is not None:
            stop_pid(self.process, self.stop_timeout)
            self.process = None

    def kill(self) -> None:
        """SIGKILL: the server disappears mid-conversation, as in a crash or network cut."""
        if self.process is not None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
            self.process = None

    def create_bucket(self, bucket: str) -> None:
        client = self.client()
        deadline = time.monotonic() + self.startup_timeout
        while True:
            try:
                client.create_bucket(Bucket=bucket)
                return
            except client.exceptions.BucketAlreadyOwnedByYou:
                return
            except Exception as exc:  # SeaweedFS answers 5xx until its first volume is allocated
                status = getattr(exc, "response", {}).get("ResponseMetadata", {}).get("HTTPStatusCode", 500)
                if status < 500 or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)


def start_moto(log_dir: Path) -> S3Server:
    """moto_server (in-memory S3) on a free port."""
    port = free_port()
    command = [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)]
    return S3Server("moto_server", command, f"http://127.0.0.1:{port}", Path(log_dir) / "moto.log").start()


def start_seaweedfs(data_dir: Path) -> S3Server:
    """SeaweedFS master + volume + filer + S3 gateway, all bound to 127.0.0.1, data in `data_dir`.

    Every port is chosen explicitly: the defaults (and the gRPC ports, http + 10000) may be taken.
    Restarting with `start()` reuses the ports and the data, so the lake survives a server crash.
    """
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    names = ("master", "volume", "filer", "s3")
    ports = {name: (free_port(), free_port()) for name in names}
    command = [str(BIN / "weed"), "server", f"-dir={data_dir}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1"]
    command += ["-filer", "-s3", "-master.telemetry=false", "-master.volumeSizeLimitMB=64", "-volume.max=50"]
    # No fixed-port side servers (Iceberg, Lance); a restarted single master elects itself in ~1 s, not 10.
    command += ["-s3.port.iceberg=0", "-s3.port.lance=0", "-master.electionTimeout=1s"]
    for name, (http, grpc) in ports.items():
        command += [f"-{name}.port={http}", f"-{name}.port.grpc={grpc}"]
    endpoint = f"http://127.0.0.1:{ports['s3'][0]}"
    status = f"http://127.0.0.1:{ports['master'][0]}/dir/status"

    def volume_server_registered() -> bool:
        # The S3 gateway answers ~4 s before the volume server has registered with the master (its first
        # heartbeat meets a master still electing itself; the next comes 5 s later): until then every object
        # read of a restarted store is a 500 "volume not found".
        try:
            with urllib.request.urlopen(status, timeout=2) as answer:
                return json.load(answer)["Topology"]["Max"] > 0
        except (OSError, ValueError, KeyError):
            return False

    # SeaweedFS drains for a long time on SIGTERM; its data is a test's temp dir, so 2 s is grace enough.
    log = data_dir.parent / f"{data_dir.name}.log"
    return S3Server("seaweedfs", command, endpoint, log, stop_timeout=2.0, serving=volume_server_registered).start()


@dataclass
class RedisServer:
    """A throw-away redis-server (Debian's package) on a free loopback port, no persistence."""

    url: str
    process: subprocess.Popen

    def stop(self) -> None:
        stop_pid(self.process)


def start_redis(workdir: Path, timeout: float = 10.0) -> RedisServer:
    """Start redis-server bound to 127.0.0.1 and wait until it answers PING."""
    import shutil

    import redis

    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = RedisServer(f"redis://127.0.0.1:{port}/0", process)
    client = redis.Redis.from_url(server.url)
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                client.ping()
                return server
            except redis.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    server.stop()
                    raise RuntimeError(f"redis-server did not start (exit code {process.returncode})") from None
                time.sleep(0.05)
    finally:
        client.close()
