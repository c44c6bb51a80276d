"""The service answers as the command line does: the real server (``asnfp serve`` in a
subprocess on a free loopback port, the ``server`` fixture) against ``asnfp`` run on the
same input, on every public conformance case and pool.

- ``generate``: the same files, byte for byte, in the reference's order, and the same
  orphan table; from the pool's text and from its rows as JSON;
- ``explain``: the command's lines, row for row;
- ``validate``: the command's verdict on each file, one at a time and in batches;
- ``rules``: the command's table and trees;
- generation runs off the event loop: the service answers while a long one runs.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("litestar")

import asnfp
from asnfp.cli import main
from asnfp.cli.command import build_parser
from asnfp.pool import read_pool

CONFORMANCE = Path(__file__).resolve().parents[1].parent / "shared" / "conformance"


def _cases() -> list[str]:
    return sorted(p.parent.name for p in (CONFORMANCE / "cases").glob("*/case.json")) or [
        pytest.param(None, marks=pytest.mark.skip(reason="../shared/conformance is absent"))]


def _pools() -> list[str]:
    return sorted(p.name for p in (CONFORMANCE / "pools").glob("*.csv")) or [
        pytest.param(None, marks=pytest.mark.skip(reason="../shared/conformance is absent"))]


def _fields(args: list[str]) -> dict[str, object]:
    """The request fields of ``asnfp generate`` flags (read by the command's own parser)."""
    ns = build_parser().parse_args(["generate", "pool.csv", *args])
    return {"ids": ns.ids, "discover": ns.discover, "all_candidates": ns.all_candidates,
            "version_id": ns.version_id, "format": ns.format, "no_finalize": ns.no_finalize, "merge": ns.merge,
            "per_pool_algorithm": ns.per_pool_algorithm, "debug": ns.debug, "dms": ns.dms}


def _command_files(pool: Path, args: list[str], out: Path) -> dict[str, bytes]:
    assert main(["generate", str(pool), "-p", str(out), "-j", "1", "--save-orphans", "orphans.csv", *args]) == 0
    return {p.name: p.read_bytes() for p in out.iterdir()}


@pytest.mark.parametrize("case", _cases())
def test_generate_writes_the_commands_bytes(case, server, tmp_path):
    meta = json.loads((CONFORMANCE / "cases" / case / "case.json").read_text())
    pool = CONFORMANCE / meta["pool"]
    expected = _command_files(pool, meta["args"], tmp_path / "out")
    with server.client(timeout=120) as client:
        answer = client.post("/v1/generate", json={"pool": pool.read_text(), "name": pool.name,
                                                   **_fields(meta["args"])})
    assert answer.status_code == 200, answer.text
    made = answer.json()
    files = {f["name"]: f["content"].encode("utf-8") for f in made["files"]}
    assert files == {name: data for name, data in expected.items() if name != "orphans.csv"}
    assert made["orphan_table"].encode("utf-8") == expected["orphans.csv"]
    order = [asnfp.to_bytes(a, made_format(meta["args"]))[0] for a in asnfp.generate(
        pool, **_library_options(meta["args"])).associations]
    assert [f["name"] for f in made["files"]] == order
    assert (made["pool"], made["rows"]) == (pool.name, len(read_pool(pool).rows))


def made_format(args: list[str]) -> str:
    return str(_fields(args)["format"])


def _library_options(args: list[str]) -> dict[str, object]:
    f = _fields(args)
    return {"ids": f["ids"], "discover": f["discover"], "all_candidates": f["all_candidates"],
            "version_id": f["version_id"], "merge": f["merge"], "per_pool": f["per_pool_algorithm"]}


@pytest.mark.parametrize("args", [["-i", "o001", "--DMS"], ["-i", "o001", "--DMS", "--merge", "-D"],
                                  ["--discover", "--no-finalize"], ["--all-candidates", "--format", "yaml"]])
def test_options_no_case_uses_write_the_commands_bytes(args, server, tmp_path, conformance_dir):
    pool = conformance_dir / "pools" / "pool_010_spec_nirspec_lv2bkg.csv"
    expected = _command_files(pool, args, tmp_path / "out")
    with server.client() as client:
        made = client.post("/v1/generate", json={"pool": pool.read_text(), "name": pool.name, **_fields(args)}).json()
    assert {f["name"]: f["content"].encode() for f in made["files"]} == {
        name: data for name, data in expected.items() if name != "orphans.csv"}
    assert made["orphan_table"].encode() == expected["orphans.csv"] and made["files"]


@pytest.mark.parametrize("pool_name", ["pool_002_image_miri.csv", "pool_013_coron_nircam.csv",
                                       "pool_019_niriss_wfss.csv"])
def test_a_pool_given_as_json_rows_makes_the_same_files_as_its_text(pool_name, server, conformance_dir):
    pool = conformance_dir / "pools" / pool_name
    rows = [dict(row.cells) for row in read_pool(pool).rows]
    with server.client() as client:
        from_text = client.post("/v1/generate", json={"pool": pool.read_text(), "name": pool_name}).json()
        from_rows = client.post("/v1/generate", json={"pool": rows, "name": pool_name}).json()
    assert from_rows["files"] == from_text["files"] and from_rows["files"]
    assert from_rows["orphans"] == from_text["orphans"]


def test_orphans_are_the_rows_no_file_took(server, conformance_dir):
    pool = conformance_dir / "pools" / "pool_018_all_exptypes.csv"
    with server.client() as client:
        made = client.post("/v1/generate", json={"pool": pool.read_text(), "name": pool.name}).json()
    expected = asnfp.generate(pool).orphans
    assert [(o["row"], o["filename"]) for o in made["orphans"]] == [(r.index + 1, r["filename"]) for r in expected]
    assert made["orphans"]


def test_an_id_not_in_the_pool_is_a_warning_as_on_the_command_line(server, conformance_dir, capsys):
    pool = conformance_dir / "pools" / "pool_002_image_miri.csv"
    with server.client() as client:
        made = client.post("/v1/generate", json={"pool": pool.read_text(), "ids": ["o001", "o999"]}).json()
    assert main(["generate", str(pool), "--dry-run", "-i", "o001", "o999"]) == 0
    said = [line.removeprefix("asnfp: warning: ") for line in capsys.readouterr().err.splitlines()]
    assert made["warnings"] == said == ["candidate id o999 not found in pool"]


# --------------------------------------------------------------------------- explain


def _command_lines(argv: list[str], capsys: pytest.CaptureFixture[str]) -> list[str]:
    assert main(argv) == 0
    return capsys.readouterr().out.splitlines()


def _answer_lines(explained: dict[str, object]) -> list[str]:
    head = [explained["summary"]] if explained["summary"] is not None else []
    return head + [line for row in explained["explained"] for line in row["text"].splitlines()]


@pytest.mark.parametrize("pool_name", [p for p in _pools() if p is None or "jw93060" not in p])
def test_explain_says_what_the_command_says_of_every_orphan(pool_name, server, capsys, monkeypatch):
    monkeypatch.chdir(CONFORMANCE / "pools")  # (the command names the pool as given: its name)
    pool = CONFORMANCE / "pools" / pool_name
    with server.client(timeout=120) as client:
        answer = client.post("/v1/explain", json={"pool": pool.read_text(), "name": pool_name})
    assert answer.status_code == 200, answer.text
    explained = answer.json()
    assert _answer_lines(explained) == _command_lines(["explain", pool_name, "-j", "1"], capsys)
    for row in explained["explained"]:
        assert row["files"] == [] and all(v["status"] != "joined" for v in row["verdicts"])


def test_explain_by_row_and_by_file_name(server, capsys, monkeypatch, conformance_dir):
    monkeypatch.chdir(conformance_dir / "pools")
    name = "pool_004_wfs.csv"
    text = (conformance_dir / "pools" / name).read_text()
    with server.client() as client:
        by_row = client.post("/v1/explain", json={"pool": text, "name": name, "row": [1, 7],
                                                  "rule": ["Asn_Lv3WFSCMB", "Asn_Lv2Image"]}).json()
        filename = by_row["explained"][1]["filename"]
        by_file = client.post("/v1/explain", json={"pool": text, "name": name, "file": [filename]}).json()
    assert _answer_lines(by_row) == _command_lines(
        ["explain", name, "--row", "1", "--row", "7", "--rule", "Asn_Lv3WFSCMB", "--rule", "Asn_Lv2Image"], capsys)
    assert [v["rule"] for v in by_row["explained"][0]["verdicts"]] == ["Asn_Lv2Image", "Asn_Lv3WFSCMB"]
    assert _answer_lines(by_file) == _command_lines(["explain", name, "--file", filename], capsys)
    assert by_file["explained"][0]["row"] == 7


# --------------------------------------------------------------------------- validate


BAD_FILES = {
    "products_not_a_list.json": b'{"asn_type": "image3", "products": {}}',
    "member_a_string.json": b'{"products": [{"members": ["a_cal.fits"]}]}',
    "expname_a_number.json": b'{"products": [{"members": [{"expname": 1, "exptype": "science"}]}]}',
    "yaml_ok.yaml": b"asn_type: image3\nasn_rule: R\nproducts: []\n",
    "yaml_bad.yaml": b"products: 3\n",
    "nan.json": b'{"asn_type": "image3", "asn_rule": "R", "products": [], "x": NaN}',
    "folder.json": b'{"asn_type": "image3", "asn_rule": "R", "products": [{"name": "p", '
                   b'"members": [{"expname": "../a_cal.fits", "exptype": "science"}]}]}',
    "unknown_type.json": b'{"asn_type": "foo", "asn_rule": "R", "products": []}',
}


def _command_verdicts(paths: list[Path], strict: bool, capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    main(["validate", *(["--strict"] if strict else []), *map(str, paths)])
    lines = capsys.readouterr().err.splitlines()
    return {line.split(": ", 1)[0]: line.split(": ", 1)[1] for line in lines}


@pytest.mark.parametrize("strict", [False, True])
def test_validate_gives_the_commands_verdict_on_each_file(strict, server, tmp_path, capsys, conformance_dir):
    paths = []
    for name, data in BAD_FILES.items():
        (tmp_path / name).write_bytes(data)
        paths.append(tmp_path / name)
    paths += sorted((conformance_dir / "cases" / "pool_021_yaml" / "expected").glob("*_asn.yaml"))[:3]
    paths += sorted((conformance_dir / "cases" / "pool_004_wfs" / "expected").glob("*_asn.json"))[:3]
    said = _command_verdicts(paths, strict, capsys)
    with server.client() as client:
        for path in paths:
            query = {"strict": str(strict).lower(), "format": "yaml" if path.suffix == ".yaml" else "json"}
            answer = client.post("/v1/validate", content=path.read_bytes(), params=query)
            assert answer.status_code == 200, answer.text
            verdict = answer.json()["files"][0]
            assert verdict.get("problem") == said.get(str(path)), path.name
            assert verdict["valid"] is (str(path) not in said)
    assert len(said) >= (5 if strict else 3)


def test_a_batch_gives_each_files_verdict_in_order(server, conformance_dir):
    files = sorted((conformance_dir / "cases" / "mega_pool" / "expected").glob("*_asn.json"))
    texts = [p.read_text() for p in files]
    bad = list(BAD_FILES.values())
    as_strings = json.dumps(texts + [b.decode() for b in bad])
    as_objects = "[" + ",".join(texts) + "]"
    with server.client() as client:
        by_strings = client.post("/v1/validate", content=as_strings).json()
        by_objects = client.post("/v1/validate", content=as_objects).json()
        one_by_one = [client.post("/v1/validate", content=b).json()["files"][0] for b in bad]
    assert by_objects == {"valid": True, "invalid": 0, "files": [{"valid": True}] * len(files)}
    assert by_strings["files"] == [{"valid": True}] * len(files) + one_by_one
    assert by_strings["invalid"] == sum(not v["valid"] for v in one_by_one) > 0


# --------------------------------------------------------------------------- rules, health, schema


def test_the_rules_are_the_commands_table_and_trees(server, capsys):
    table = _command_lines(["rules"], capsys)[1:]
    with server.client() as client:
        listed = client.get("/v1/rules").json()
        assert [(r["name"], str(r["level"]), r["asn_type"]) for r in listed] == [
            tuple(line.split()[:3]) for line in table]
        assert all(r["text"].splitlines()[0].split() == [r["name"], "level", str(r["level"]), r["asn_type"]]
                   for r in listed)
        for name in ("Asn_Lv3ImageMosaic", "Asn_Lv2WFSSNIS", "Asn_Lv3SpecAux"):
            one = client.get(f"/v1/rules/{name}").json()
            assert one == next(r for r in listed if r["name"] == name)
            assert one["text"].splitlines() == _command_lines(["rules", "-k", name], capsys)
            assert one["expanded"].splitlines() == _command_lines(["rules", "-k", name, "--expand"], capsys)
            assert _tree_lines(one["constraint"]) == one["text"].splitlines()[1:]


def _tree_lines(node: dict[str, object], depth: int = 1) -> list[str]:
    """The tree's lines as the text prints them (lines short enough not to be wrapped)."""
    under = [line for part in node["parts"] for line in _tree_lines(part, depth + 1)]
    return ["  " * depth + str(node["text"]), *under]


def test_health_and_the_openapi_document(server):
    with server.client() as client:
        health = client.get("/v1/health").json()
        document = client.get("/schema/openapi.json").json()
    assert health == {"status": "ok", "version": asnfp.__version__, "reference": "3.0.0"}
    assert set(document["paths"]) == {"/v1/health", "/v1/rules", "/v1/rules/{name}", "/v1/generate",
                                      "/v1/explain", "/v1/validate"}
    assert {"GenerateRequest", "Generated", "Problem", "Validation"} <= set(document["components"]["schemas"])


# --------------------------------------------------------------------------- concurrency


def _slow_pool(rows: int) -> str:
    header = "filename|exp_type|pntgtype|program|targetid|instrume|detector|filter|subarray|asn_candidate"
    lines = [f"jw_{i}_uncal.fits|mir_image|science|1|{i % 50}|miri|mirimage|f{560 + i % 7}w|full|"
             f"[('o{i % 300:03d}', 'observation')]" for i in range(rows)]
    return "\n".join([header, *lines]) + "\n"


def test_a_long_generation_does_not_stop_the_others(server):
    body = {"pool": _slow_pool(6000)}
    finished: list[float] = []

    def long_one() -> None:
        with server.client() as client:
            assert client.post("/v1/generate", json=body).status_code == 200
        finished.append(time.monotonic())

    worker = threading.Thread(target=long_one)
    start = time.monotonic()
    worker.start()
    time.sleep(0.3)
    waits = []
    with server.client() as client:
        for _ in range(10):
            asked = time.monotonic()
            assert client.get("/v1/health").status_code == 200
            waits.append(time.monotonic() - asked)
        answered = time.monotonic()
    worker.join()
    assert finished and finished[0] > answered, "the long generation ended before the check: make it longer"
    assert max(waits) < 0.5, waits
    assert finished[0] - start > 1.0


# --------------------------------------------------------------------------- the command


def test_a_port_in_use_is_one_line_and_status_2(server):
    import subprocess
    import sys

    port = server.url.rsplit(":", 1)[1]
    done = subprocess.run([sys.executable, "-m", "asnfp", "serve", "--port", port], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines() == [f"asnfp: error: cannot listen on 127.0.0.1:{port} (Address already in use)"]


@pytest.mark.parametrize(("flags", "says"), [(["--host", "no.such.host.invalid"], "--host 'no.such.host.invalid'"),
                                             (["--port", "70000"], "--port 70000: must be 0 to 65535"),
                                             (["--time-limit", "0"], "--time-limit 0.0: must be above 0")])
def test_a_bad_flag_of_serve_is_one_line_and_status_2(flags, says, capsys):
    assert main(["serve", *flags]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith(f"asnfp: error: {says}")


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_signal_stops_the_server_normally(workers):
    import signal

    from serving import started

    with started("--workers", workers) as running:
        with running.client() as client:
            assert client.get("/v1/health").status_code == 200
        running.process.send_signal(signal.SIGTERM)
        status = running.process.wait(30)
        err = running.process.stderr.read()
    assert status == 0 and err.splitlines()[-1] == "asnfp serve: stopped", err


def test_generations_at_once_answer_as_one_at_a_time(server, conformance_dir):
    """The service runs several generations at once in a process (threads): none sees
    another's pool, rules or caches (emptied as they fill) in what it answers."""
    from concurrent.futures import ThreadPoolExecutor

    names = ["pool_002_image_miri.csv", "pool_004_wfs.csv", "pool_013_coron_nircam.csv",
             "pool_019_niriss_wfss.csv", "pool_010_spec_nirspec_lv2bkg.csv", "pool_021_tso.csv"]
    bodies = [{"pool": (conformance_dir / "pools" / n).read_text(), "name": n} for n in names]
    with server.client() as client:
        alone = [client.post("/v1/generate", json=body).content for body in bodies]

        def ask(i: int) -> bytes:
            return client.post("/v1/generate", json=bodies[i % len(bodies)]).content

        with ThreadPoolExecutor(8) as pool:
            together = list(pool.map(ask, range(6 * len(bodies))))
    assert together == [alone[i % len(bodies)] for i in range(6 * len(bodies))]
