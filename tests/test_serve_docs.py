"""The README's service examples run: every line of its ``sh`` block under "asnfp as a
service", against the real server (its address put for ``127.0.0.1:8000``), from the
repository's top folder. Each answers JSON; the one whose pool lacks the columns the
rules read is refused with a problem document, the others are answered."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import asnfp

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
EXAMPLE_FILE = ROOT / "examples" / "jw01234-o002_image3_00001_asn.json"


def _examples() -> list[str]:
    text = README.read_text()
    section = text[text.index("## asnfp as a service"):]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None
    return [line for line in block[1].splitlines() if line.strip()]


def test_there_is_a_curl_example_per_endpoint():
    lines = _examples()
    for endpoint in ("/v1/health", "/v1/rules", "/v1/rules/", "/v1/generate", "/v1/explain", "/v1/validate",
                     "/schema/openapi.json"):
        assert any(endpoint in line and "curl" in line for line in lines), endpoint


@pytest.mark.parametrize("line", _examples())
def test_the_readme_examples_run(line, server):
    if shutil.which("curl") is None:
        pytest.skip("no curl on this machine")
    command = line.replace("http://127.0.0.1:8000", server.url)
    done = subprocess.run(["bash", "-c", command], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    refused = isinstance(answer, dict) and str(answer.get("type", "")).startswith("urn:asnfp:problem:")
    if '"pool": "filename|exp_type' in line:
        assert refused and answer["status"] == 422 and answer["column"], answer
    else:
        assert not refused, answer
    if "/v1/generate" in line and not refused:
        assert [f["name"] for f in answer["files"]] == [asnfp.to_bytes(a)[0] for a in asnfp.generate(
            ROOT / "examples" / "jw01234_imaging_pool.csv").associations]
    if "/v1/validate" in line:
        assert answer == {"valid": True, "invalid": 0, "files": [{"valid": True}]}


def test_the_example_association_file_is_what_generate_writes():
    made = asnfp.generate(ROOT / "examples" / "jw01234_imaging_pool.csv").associations
    files = dict(asnfp.to_bytes(a) for a in made)
    assert files[EXAMPLE_FILE.name] == EXAMPLE_FILE.read_bytes()
