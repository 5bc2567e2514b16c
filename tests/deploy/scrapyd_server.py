"""A real Scrapyd on a free loopback port, in a folder of its own, driven through its JSON API.

It runs from a given venv (`<venv>/bin/scrapyd`) with a `scrapyd.conf` in its working folder, as
docs/scheduling.md sets a host up, and is stopped by PID.
"""

from __future__ import annotations

import json
import subprocess
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.servers import free_port, stop_pid

CONFIG = """[scrapyd]
bind_address = 127.0.0.1
http_port = {port}
eggs_dir = {home}/eggs
logs_dir = {home}/logs
dbs_dir = {home}/dbs
max_proc = 1
poll_interval = 0.2
"""


@dataclass
class Scrapyd:
    home: Path
    bin: Path
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def log_path(self) -> Path:
        return self.home / "scrapyd.log"

    def start(self, timeout: float = 60.0) -> Scrapyd:
        self.home.mkdir(parents=True, exist_ok=True)
        (self.home / "scrapyd.conf").write_text(CONFIG.format(port=self.port, home=self.home), encoding="utf-8")
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen([str(self.bin / "scrapyd")], cwd=self.home, stdout=log,
                                            stderr=subprocess.STDOUT, env=self.env)
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.get("daemonstatus.json")
                return self
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"scrapyd did not start: {self.log_path.read_text(errors='replace')[-2000:]}")
                time.sleep(0.2)

    def stop(self) -> None:
        if self.process is not None:
            stop_pid(self.process, timeout=10)
            self.process = None

    def get(self, endpoint: str, **query: str) -> dict:
        address = self.url + endpoint + ("?" + urllib.parse.urlencode(query) if query else "")
        with urllib.request.urlopen(address, timeout=30) as response:
            return json.load(response)

    def schedule(self, spider: str, arguments: dict[str, str], settings: dict[str, str], **extra: str) -> str:
        """POST schedule.json: spider arguments as form fields, settings as repeated `setting=NAME=VALUE`."""
        fields = [("project", "newsdedup"), ("spider", spider), *arguments.items(), *extra.items()]
        fields += [("setting", f"{name}={value}") for name, value in settings.items()]
        request = urllib.request.Request(self.url + "schedule.json", data=urllib.parse.urlencode(fields).encode())
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = json.load(response)
        assert answer["status"] == "ok", answer
        return answer["jobid"]

    def wait_finished(self, job: str, timeout: float = 300.0) -> dict:
        """The job's entry in listjobs.json once it is among the finished ones."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for entry in self.get("listjobs.json", project="newsdedup")["finished"]:
                if entry["id"] == job:
                    return entry
            time.sleep(0.5)
        log = self.log_path.read_text(errors="replace")[-3000:]
        raise TimeoutError(f"job {job} not finished after {timeout} s; scrapyd log:\n{log}")

    def fetch(self, path: str) -> str:
        """A file Scrapyd serves, such as a job's log (`log_url` of listjobs.json)."""
        with urllib.request.urlopen(self.url + path.lstrip("/"), timeout=30) as response:
            return response.read().decode("utf-8", errors="replace")

    def process_lines(self, job: str) -> list[str]:
        """Scrapyd's own log lines about the job's process: `Process started:`, `Process finished:`, `Process died:`."""
        return [line for line in self.log_path.read_text(errors="replace").splitlines()
                if "Process " in line and f"job='{job}'" in line]
