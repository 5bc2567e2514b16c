"""Today's extractor beside the new one, in the same run: the code of `BASELINE_COMMIT` run on the same inputs.

The commit's `pipeline/` and `configs/` are unpacked (git archive) under `bench/.cache/baseline-<sha>/` and
a subprocess with that folder first on `sys.path` extracts every input; outputs are cached per commit and
input, so a rerun costs nothing once the baseline has seen a page.

    python bench/baseline.py DIR < inputs.jsonl > outputs.jsonl   (what the subprocess runs)
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tarfile
from io import BytesIO
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / "bench" / ".cache"
# The extractor before issue #16 (the commit this work started from).
BASELINE_COMMIT = "c9c05558d427a3f728f72e7e684f8928585f7e86"


def baseline_tree(commit: str = BASELINE_COMMIT) -> Path:
    """The commit's pipeline/ and configs/ unpacked once under bench/.cache."""
    out = CACHE / f"baseline-{commit[:12]}"
    if not (out / "pipeline" / "__init__.py").exists():
        archive = subprocess.run(["git", "archive", "--format=tar", commit, "pipeline", "configs"], cwd=REPO,
                                 check=True, capture_output=True).stdout
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(out, filter="data")
    return out


def _key(kind: str, content: str) -> str:
    return hashlib.sha1(f"{kind}\n{content}".encode("utf-8", "surrogatepass")).hexdigest()


def baseline_outputs(inputs: list[tuple[str, str]], commit: str = BASELINE_COMMIT) -> list[dict]:
    """{"title", "text"} of the baseline extractor for each (kind, content); text "" when it rejects."""
    cache_file = CACHE / f"baseline-{commit[:12]}-outputs.json"
    cache = json.loads(cache_file.read_text(encoding="utf-8")) if cache_file.exists() else {}
    missing = {_key(k, c): (k, c) for k, c in inputs if _key(k, c) not in cache}
    if missing:
        tree = baseline_tree(commit)
        payload = "".join(json.dumps({"key": key, "kind": k, "content": c}) + "\n" for key, (k, c) in missing.items())
        run = subprocess.run([sys.executable, str(Path(__file__).resolve()), str(tree)], input=payload,
                             capture_output=True, text=True, cwd=tree, check=False)
        if run.returncode:
            sys.exit(f"baseline extractor failed:\n{run.stderr[-3000:]}")
        for line in run.stdout.splitlines():
            row = json.loads(line)
            cache[row.pop("key")] = row
        cache_file.write_text(json.dumps(cache), encoding="utf-8")
    return [cache[_key(k, c)] for k, c in inputs]


def _serve(tree: str) -> None:
    """Subprocess side: extract each input line with the baseline's code (its folder first on sys.path)."""
    sys.path.insert(0, tree)
    sys.path = [p for p in sys.path if Path(p or ".").resolve() != REPO / "bench"]
    from pipeline.errors import Rejected
    from pipeline.extract import extract_html, extract_text

    assert Path(sys.modules["pipeline"].__file__).is_relative_to(Path(tree)), "baseline imported the new code"
    for line in sys.stdin:
        row = json.loads(line)
        try:
            found = (extract_html if row["kind"] == "html" else extract_text)(row["content"])
            out = {"title": found.title, "text": found.text}
        except Rejected:
            out = {"title": None, "text": ""}
        print(json.dumps({"key": row["key"], **out}), flush=True)


if __name__ == "__main__":
    _serve(sys.argv[1])
