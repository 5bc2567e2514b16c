"""Quiet, useful output (#15 item 5): no library warnings on the progress display, one line per dropped item.

Run on a terminal (a pseudo-terminal here), the files spider shows a tqdm bar. Before, wordfreq's
"You asked for word frequencies in language 'hr'. Using the nearest match ..." came from the worker
processes straight onto it, and every dropped item was logged with its whole `Article(...)` repr.
`tests/resources/run/vijest-hr.txt` is a short news text in Croatian, written for this test: a language
wordfreq has no word list for.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import shutil
import struct
import subprocess
import sys
import termios

from tests.crawl import REPO, SEEDS


def run_on_a_terminal(command: list[str]) -> str:
    """Run `command` with a pseudo-terminal as stdout and stderr; returns everything it printed."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))  # a new pty is 0x0
    process = subprocess.Popen(command, cwd=REPO, stdin=subprocess.DEVNULL, stdout=follower, stderr=follower)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the process is gone
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert process.wait(timeout=300) == 0, b"".join(chunks)[-3000:]
    return b"".join(chunks).decode("utf-8", "replace")


def test_the_progress_bar_shows_no_library_warnings_and_one_line_per_dropped_item(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    shutil.copy(REPO / "tests" / "resources" / "run" / "vijest-hr.txt", inputs)
    shutil.copy(SEEDS / "000_3b93ccf9d086253d.txt", inputs)
    (inputs / "empty.txt").write_bytes(b"")
    output = run_on_a_terminal([
        sys.executable, "-m", "scrapy", "crawl", "files", "-a", f"path={inputs}",
        "-s", f"LAKE_URI={tmp_path / 'lake'}", "-s", f"LAKE_SPOOL_DIR={tmp_path / 'spool'}", "-s", "EXTRACT_WORKERS=1",
    ])
    assert "items: 100%" in output  # the bar was there
    assert "You asked for word frequencies" not in output
    assert "Article(" not in output
    lines = [line for line in re.split(r"[\r\n]+", output) if "empty.txt" in line]
    assert len(lines) == 1 and "read/empty" in lines[0], lines
