"""Bad input over HTTP: every class of bad input of ``tests/test_bad_input.py`` (what
``asnfp generate`` refuses in one line, exit status 2) sent to ``asnfp serve`` gets a 4xx
status, never a 5xx, and an RFC 9457 problem document: ``application/problem+json``, an
object with ``type`` (``urn:asnfp:problem:KIND``), ``title``, ``status`` (the HTTP
status) and a one-line ``detail``, plus the ``row`` (counted from 1), ``column`` and
``key`` where the command line names them. Then the bad input only HTTP has: bodies that
are not JSON, fields of the wrong type or unknown, routes and methods there are not,
the service's limits.

:data:`COVERED` maps each test of ``test_bad_input.py`` to its counterpart here, and
:data:`NO_HTTP_COUNTERPART` says why a class has none (the service reads no path and
writes nothing); :func:`test_every_bad_input_class_has_an_http_counterpart` fails when a
class is added there and mapped in neither.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

httpx = pytest.importorskip("httpx")
pytest.importorskip("litestar")

from test_bad_input import EXPECTED, GOOD, HEADER, REAL_POOL, ROW, with_candidate, without  # noqa: E402

from serving import Server, started  # noqa: E402

PROBLEM = "application/problem+json"
URN = "urn:asnfp:problem:"
G, E, V = "/v1/generate", "/v1/explain", "/v1/validate"
BAD_INPUT = Path(__file__).with_name("test_bad_input.py")
#: ``row``, ``column`` or ``key`` not checked (as opposed to ``None``: checked absent).
ANY: Any = object()
#: The one row of ``GOOD`` as a JSON row.
GOOD_ROW = dict(zip(HEADER.split("|"), ROW.split("|"), strict=True))


# --- how a refusal must look ---------------------------------------------------------

def assert_problem(response: httpx.Response, status: int, kind: str | None = None, *parts: str,
                   row: Any = ANY, column: Any = ANY, key: Any = ANY) -> dict[str, Any]:
    """``response`` is a problem document of ``status`` (and ``kind``) whose one-line
    ``detail`` holds each of ``parts``; ``row``, ``column``, ``key`` as given (``None``:
    absent). Returns the document."""
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:2000])
    assert response.status_code == status, response.text[:2000]
    assert response.headers.get("content-type", "").split(";")[0].strip() == PROBLEM, response.headers
    doc = response.json()
    assert isinstance(doc, dict), doc
    assert isinstance(doc.get("type"), str) and doc["type"].startswith(URN), doc
    assert doc["type"] != f"{URN}internal", doc
    assert isinstance(doc.get("title"), str) and doc["title"].strip(), doc
    assert doc.get("status") == response.status_code, doc
    detail = doc.get("detail")
    assert isinstance(detail, str) and detail.strip(), doc
    assert "\n" not in detail and "\r" not in detail, f"detail is not one line: {detail!r}"
    assert "Traceback" not in detail, detail
    if kind is not None:
        assert doc["type"] == URN + kind, doc
    for part in parts:
        assert part in detail, (part, detail)
    if "row" in doc:
        assert isinstance(doc["row"], int) and doc["row"] >= 1, doc
    for name, expected in (("row", row), ("column", column), ("key", key)):
        if expected is not ANY:
            assert doc.get(name) == expected, (name, expected, doc)
    return doc


def cli(part: str) -> str:
    """The part of the command's error line that the service's ``detail`` holds too."""
    return part.removeprefix("asnfp: error: ")


def raw(client: httpx.Client, path: str, body: bytes, method: str = "POST") -> httpx.Response:
    return client.request(method, path, content=body, headers={"content-type": "application/json"})


# --- servers -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def client(server: Server) -> Iterator[httpx.Client]:
    with server.client() as made:
        yield made


def _limited(tmp_path_factory: pytest.TempPathFactory, env: dict[str, str]) -> Iterator[httpx.Client]:
    folder = tmp_path_factory.mktemp("serve-limited")
    with started(env=env, cwd=folder) as running, running.client() as made:
        yield made
    assert list(folder.iterdir()) == [], "the service wrote into its working folder"


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """A server taking bodies of 4096 bytes, pools of 3 rows, batches of 2 files."""
    yield from _limited(tmp_path_factory, {"ASNFP_SERVE_MAX_BODY_BYTES": "4096", "ASNFP_SERVE_MAX_ROWS": "3",
                                           "ASNFP_SERVE_MAX_FILES": "2"})


@pytest.fixture(scope="module")
def hurried(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """A server giving each request 0.05 s."""
    yield from _limited(tmp_path_factory, {"ASNFP_SERVE_TIME_LIMIT": "0.05"})


# --- the pool itself (test_bad_input.py: the pool file itself) -----------------------

def test_good_pool_is_the_baseline_over_http(client: httpx.Client) -> None:
    for pool in (GOOD, [GOOD_ROW]):
        response = client.post(G, json={"pool": pool})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/json")
        assert [f["name"] for f in response.json()["files"]] == EXPECTED


@pytest.mark.parametrize(
    ("name", "content", "parts", "row", "column"),
    [
        pytest.param("empty.csv", "", ("empty.csv: is empty",), None, None, id="empty-file"),
        pytest.param("blank.csv", "\n  \n\n", ("blank.csv: has no header line",), None, None, id="blank-lines-only"),
        pytest.param("comments.csv", "# only a comment\n", ("comments.csv: has no header line",), None, None,
                     id="comments-only"),
        pytest.param("ragged.csv", f"{HEADER}\n{ROW}|extra\n",
                     ("ragged.csv, row 1: has a different number of fields from the header (15, split on '|')",),
                     1, None, id="ragged-more-fields"),
        pytest.param("short.csv", f"{HEADER}\n{ROW}\njw_2_uncal.fits|99009\n",
                     ("short.csv, row 2: has a different number of fields",), 2, None, id="ragged-fewer-fields"),
        pytest.param("ragged3.csv", f"# c\n\n{HEADER}\n{ROW}\n\n# c2\n{ROW}\n{ROW}|x\n", ("ragged3.csv, row 3: ",),
                     3, None, id="ragged-row-counts-data-rows-only"),
        pytest.param("dup.csv", "A|a\n1|2\n", ("dup.csv, column 'a': two columns have the same name",), None, "a",
                     id="duplicate-columns-after-lower-casing"),
        pytest.param("cand35.csv", with_candidate("3.5"),
                     ("cand35.csv: row 1, column 'asn_candidate': cannot read the candidates '3.5'",),
                     1, "asn_candidate", id="asn_candidate-float"),
        pytest.param("cand1.csv", with_candidate("[1]", row=2),
                     ("cand1.csv: row 2, column 'asn_candidate': cannot read the candidates '[1]'",),
                     2, "asn_candidate", id="asn_candidate-list-of-int-on-row-2"),
    ],
)
@pytest.mark.parametrize("path", [G, E])
def test_unreadable_pool_content_over_http(client: httpx.Client, path: str, name: str, content: str,
                                           parts: tuple[str, ...], row: int | None, column: str | None) -> None:
    """The same pools as the command's, as the ``pool`` text: the same line as detail."""
    assert_problem(client.post(path, json={"pool": content, "name": name}), 422, "bad-pool", *parts,
                   row=row, column=column)


def test_binary_junk_over_http(client: httpx.Client) -> None:
    """A pool of bytes that are not UTF-8: in a JSON body they make the body unreadable;
    their characters, as a JSON string, are a pool of one column (as the command reads
    their UTF-8 bytes)."""
    junk = b"\xff\xfe\x00\x81junk\n\x80\n"
    body = b'{"name": "junk.csv", "pool": "' + junk.replace(b"\x00", b"").replace(b"\n", b"\\n") + b'"}'
    assert_problem(raw(client, G, body), 400, "malformed-body")
    assert_problem(client.post(G, json={"pool": junk.decode("latin-1"), "name": "junk.csv"}), 422, "bad-pool",
                   "junk.csv")


@pytest.mark.parametrize("form", ["text", "rows"])
@pytest.mark.parametrize("column", ["filename", "exp_type", "pntgtype", "program", "targetid", "asn_candidate"])
@pytest.mark.parametrize("path", [G, E])
def test_missing_column_over_http(client: httpx.Client, path: str, column: str, form: str) -> None:
    pool: str | list[dict[str, str]] = without(column)
    if form == "rows":
        pool = [{k: v for k, v in GOOD_ROW.items() if k != column}]
    assert_problem(client.post(path, json={"pool": pool, "name": f"no_{column}.csv"}), 422, "bad-pool",
                   f"no_{column}.csv, column '{column}': the pool has no such column", column=column)


@pytest.mark.parametrize("body", [{}, {"name": "missing.csv"}, {"pool": None}], ids=["no-fields", "name-only", "null"])
@pytest.mark.parametrize("path", [G, E])
def test_missing_pool_over_http(client: httpx.Client, path: str, body: dict[str, Any]) -> None:
    """No pool file: no ``pool`` field (or a null one)."""
    doc = assert_problem(client.post(path, json=body), 422, "invalid-field")
    assert doc["key"] == ("$.pool" if "pool" in body else "$")
    assert "pool" in body or "`pool`" in doc["detail"]


def test_header_only_pool_over_http(client: httpx.Client) -> None:
    """Not an error: no files, no orphans."""
    for pool in (f"{HEADER}\n", []):
        response = client.post(G, json={"pool": pool})
        assert response.status_code == 200, response.text
        assert (response.json()["files"], response.json()["orphans"]) == ([], [])


def test_wrong_delimiter_names_the_first_bad_row_over_http(client: httpx.Client) -> None:
    assert_problem(client.post(G, json={"pool": GOOD, "delimiter": ","}), 422, "bad-pool",
                   "pool.csv, row 1: has a different number of fields from the header (1, split on ',')", row=1)


def test_wrong_delimiter_one_big_column_over_http(client: httpx.Client) -> None:
    assert_problem(client.post(G, json={"pool": GOOD, "delimiter": ";"}), 422, "bad-pool",
                   "pool.csv, column 'filename': the pool has no such column",
                   "only one column was read: is -d right?", column="filename")


@pytest.mark.parametrize(
    ("delimiter", "status", "kind", "parts", "key"),
    [
        pytest.param("", 422, "invalid-field", (), "$.delimiter", id="empty"),
        pytest.param("123456789", 422, "invalid-field", (), "$.delimiter", id="too-long"),
        pytest.param(7, 422, "invalid-field", (), "$.delimiter", id="not-a-string"),
        pytest.param("||", 422, "bad-pool", ("pool.csv: cannot be read as a 'ascii' table with delimiter '||'",),
                     None, id="two-characters"),
    ],
)
def test_impossible_delimiter_over_http(client: httpx.Client, delimiter: object, status: int, kind: str,
                                        parts: tuple[str, ...], key: str | None) -> None:
    assert_problem(client.post(G, json={"pool": GOOD, "delimiter": delimiter}), status, kind, *parts, key=key)


@pytest.mark.parametrize(
    ("pool_format", "kind", "parts"),
    [
        pytest.param("bogus", "invalid-field", (), id="bogus"),
        pytest.param("fits", "invalid-field", (), id="not-text"),
        pytest.param("ascii.bogus", "bad-pool", ("pool.csv: no reader for the pool format 'ascii.bogus'",),
                     id="ascii.bogus"),
        pytest.param("ascii.ecsv", "bad-pool", ("pool.csv: cannot be read as a 'ascii.ecsv' table",), id="ascii.ecsv"),
        pytest.param("ascii.latex", "bad-pool", ("pool.csv: cannot be read as a 'ascii.latex' table",),
                     id="ascii.latex"),
    ],
)
def test_unknown_pool_format_over_http(client: httpx.Client, pool_format: str, kind: str,
                                       parts: tuple[str, ...]) -> None:
    doc = assert_problem(client.post(G, json={"pool": GOOD, "pool_format": pool_format}), 422, kind, *parts)
    if kind == "invalid-field":
        assert doc["key"] == "$.pool_format"


@pytest.mark.parametrize("reader", ["csv", "tab", "rdb", "commented_header", "basic", "no_header"])
def test_astropys_fast_readers_read_as_their_pure_python_twins(client: httpx.Client, reader: str) -> None:
    """``ascii.fast_X`` once answered 500 (astropy's C readers take no converters, and raise
    errors of their own): it reads as ``ascii.X``, and where that refuses, so does it."""
    fast = client.post(G, json={"pool": GOOD, "pool_format": f"ascii.fast_{reader}"})
    plain = client.post(G, json={"pool": GOOD, "pool_format": f"ascii.{reader}"})
    assert fast.status_code == plain.status_code < 500
    if plain.status_code == 200:
        assert fast.json() == plain.json()
    else:
        assert fast.json()["detail"] == plain.json()["detail"].replace(f"'ascii.{reader}'", f"'ascii.fast_{reader}'")


def test_real_pool_without_asn_candidate_over_http(client: httpx.Client) -> None:
    if not REAL_POOL.is_file():
        pytest.skip(f"{REAL_POOL} is absent")
    response = client.post(G, json={"pool": REAL_POOL.read_text(encoding="utf-8"), "name": REAL_POOL.name})
    assert_problem(response, 422, "bad-pool",
                   f"{REAL_POOL.name}, column 'asn_candidate': the pool has no such column", column="asn_candidate")


# --- flags (test_bad_input.py: flags) ------------------------------------------------

@pytest.mark.parametrize("value", ["bogus", 3, None], ids=["bogus", "int", "null"])
def test_bogus_output_format_over_http(client: httpx.Client, value: object) -> None:
    assert_problem(client.post(G, json={"pool": GOOD, "format": value}), 422, "invalid-field", key="$.format")


@pytest.mark.parametrize(
    ("path", "options", "parts", "key"),
    [
        pytest.param(G, {"ids": ["o001"], "discover": True}, ("ids and discover cannot be given together",),
                     "$.discover", id="ids-and-discover"),
        pytest.param(G, {"ids": ["o001"], "all_candidates": True}, ("ids and all_candidates",), "$.all_candidates",
                     id="ids-and-all_candidates"),
        pytest.param(G, {"discover": True, "all_candidates": True}, ("discover and all_candidates",),
                     "$.all_candidates", id="discover-and-all_candidates"),
        pytest.param(E, {"row": [1], "file": ["jw_00001_uncal.fits"]}, ("row and file cannot be given together",),
                     "$.file", id="explain-row-and-file"),
    ],
)
def test_conflicting_ids_and_discover_over_http(client: httpx.Client, path: str, options: dict[str, Any],
                                                parts: tuple[str, ...], key: str) -> None:
    """Exclusive options together: refused, naming the second."""
    assert_problem(client.post(path, json={"pool": GOOD, **options}), 422, "bad-request", *parts, key=key)


def test_unknown_candidate_id_over_http(client: httpx.Client) -> None:
    """Not an error: the warning the command prints, no files."""
    response = client.post(G, json={"pool": GOOD, "ids": ["o999"]})
    assert response.status_code == 200, response.text
    made = response.json()
    assert made["warnings"] == ["candidate id o999 not found in pool"] and made["files"] == []


@pytest.mark.parametrize(("path", "field"), [(G, "no_such_flag"), (G, "save_orphans"), (G, "path"), (E, "ids"),
                                             (E, "discover")])
def test_an_unknown_field_over_http(client: httpx.Client, path: str, field: str) -> None:
    """The unknown flag's counterpart: an unknown field (the service takes no output path
    nor orphan file either)."""
    assert_problem(client.post(path, json={"pool": GOOD, field: True}), 422, "invalid-field", f"`{field}`",
                   key="$")


@pytest.mark.parametrize(
    ("body", "status", "kind", "part"),
    [
        ({}, 422, "invalid-field", "pool"),
        (b'{"pool": "\xff\xd8\xff\xe0JFIF"}', 400, "malformed-body", ""),
        ({"pool": f"{HEADER}\n{ROW}|extra\n", "name": "ragged.csv"}, 422, "bad-pool", "ragged.csv, row 1: "),
        ({"pool": without("asn_candidate")}, 422, "bad-pool", "pool.csv, column 'asn_candidate': "),
        ({"pool": GOOD, "pool_format": "ascii.bogus"}, 422, "bad-pool",
         "pool.csv: no reader for the pool format 'ascii.bogus'"),
        ({"pool": GOOD, "format": "bogus"}, 422, "invalid-field", "bogus"),
        ({"pool": GOOD, "ids": ["o001"], "discover": True}, 422, "bad-request", "ids and discover"),
    ],
    ids=["missing", "junk", "ragged", "no-asn_candidate", "pool-format", "format", "ids-and-discover"],
)
def test_no_internal_error_reaches_the_client(client: httpx.Client, body: dict[str, Any] | bytes, status: int,
                                              kind: str, part: str) -> None:
    """The command's process cases (no traceback reaches the user): no 5xx, a problem."""
    response = raw(client, G, body) if isinstance(body, bytes) else client.post(G, json=body)
    assert_problem(response, status, kind, part)


# --- HTTP only: the body --------------------------------------------------------------

@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b'{"pool": "a"',
        b'{"pool": "a"} trailing',
        b'\xef\xbb\xbf{"pool": "a"}',
        b'{"pool": "a\xff"}',
        b'{"pool": "\\udcff"}',
        b'{"pool": [{"program": 1e999}]}',
        b"pool=a",
    ],
    ids=["not-json", "truncated", "trailing-data", "bom", "not-utf8", "lone-surrogate", "number-out-of-range",
         "form-encoded"],
)
@pytest.mark.parametrize("path", [G, E])
def test_malformed_json_body(client: httpx.Client, path: str, body: bytes) -> None:
    assert_problem(raw(client, path, body), 400, "malformed-body")


@pytest.mark.parametrize("body", [b"", b" \n"], ids=["empty", "white-space"])
@pytest.mark.parametrize("path", [G, E, V])
def test_empty_body(client: httpx.Client, path: str, body: bytes) -> None:
    """generate, explain: malformed (400); validate: not an association file (422)."""
    if path == V:
        assert_problem(client.post(path, content=body), 422, "not-an-association")
    else:
        assert_problem(client.post(path, content=body), 400, "malformed-body")


@pytest.mark.parametrize(
    ("path", "body", "key"),
    [
        (G, {"pool": 3}, "$.pool"),
        (G, {"pool": True}, "$.pool"),
        (G, {"pool": [[1, 2]]}, "$.pool[0]"),
        (G, {"pool": ["a|b"]}, "$.pool[0]"),
        (G, {"pool": GOOD, "ids": "o001"}, "$.ids"),
        (G, {"pool": GOOD, "ids": [1]}, "$.ids[0]"),
        (G, {"pool": GOOD, "ids": [""]}, "$.ids[0]"),
        (G, {"pool": GOOD, "discover": "yes"}, "$.discover"),
        (G, {"pool": GOOD, "name": ""}, "$.name"),
        (G, {"pool": GOOD, "name": 5}, "$.name"),
        (G, {"pool": GOOD, "version_id": 3}, "$.version_id"),
        (G, [GOOD], "$"),
        (G, None, "$"),
        (G, "pool", "$"),
        (E, {"pool": GOOD, "row": "1"}, "$.row"),
        (E, {"pool": GOOD, "row": ["one"]}, "$.row[0]"),
        (E, {"pool": GOOD, "row": [1.5]}, "$.row[0]"),
        (E, {"pool": GOOD, "rule": "Asn_Lv2Image"}, "$.rule"),
        (E, {"pool": GOOD, "file": [3]}, "$.file[0]"),
    ],
)
def test_wrong_field_type(client: httpx.Client, path: str, body: object, key: str) -> None:
    assert_problem(raw(client, path, json.dumps(body).encode()), 422, "invalid-field", key=key)


@pytest.mark.parametrize(("query", "key"), [("strict=maybe", "strict"), ("format=xml", "format")])
def test_wrong_query_parameter(client: httpx.Client, query: str, key: str) -> None:
    assert_problem(client.post(f"{V}?{query}", content=b'{"products": []}'), 422, "invalid-field", key=key)


@pytest.mark.parametrize(("method", "path"), [("GET", "/v1/health"), ("GET", "/v1/rules"),
                                              ("GET", "/v1/rules/Asn_Lv3Image"), ("POST", G), ("POST", E),
                                              ("POST", V)])
def test_an_unknown_query_parameter(client: httpx.Client, method: str, path: str) -> None:
    """A query parameter an endpoint does not take is refused, as an unknown flag is."""
    body = b'{"products": []}' if path == V else json.dumps({"pool": GOOD}).encode()
    answer = client.request(method, f"{path}?no_such_option=1", content=body if method == "POST" else None)
    assert_problem(answer, 422, "invalid-field", "no_such_option", key="no_such_option")


# --- HTTP only: routes and methods ---------------------------------------------------

@pytest.mark.parametrize(("method", "path"), [("GET", "/v1/nothing"), ("GET", "/"), ("GET", "/v1"),
                                              ("POST", "/v1/generate/more"), ("POST", "/v2/generate"),
                                              ("GET", "/v1/rules/Asn_Nothing")])
def test_unknown_route(client: httpx.Client, method: str, path: str) -> None:
    assert_problem(client.request(method, path, json={"pool": GOOD}), 404, "not-found")


@pytest.mark.parametrize(("method", "path"), [("GET", G), ("GET", E), ("GET", V), ("PUT", G), ("DELETE", E),
                                              ("PATCH", V), ("POST", "/v1/health"), ("POST", "/v1/rules"),
                                              ("DELETE", "/v1/rules/Asn_Lv2Image")])
def test_wrong_method(client: httpx.Client, method: str, path: str) -> None:
    assert_problem(client.request(method, path), 405, "method-not-allowed")


# --- HTTP only: validate's bodies ----------------------------------------------------

@pytest.mark.parametrize(
    ("body", "status", "kind", "key"),
    [
        (b"[1, 2]", 422, "invalid-field", "$[0]"),
        (b"[null]", 422, "invalid-field", "$[0]"),
        (b"[[1]]", 422, "invalid-field", "$[0]"),
        (b'["{}", 3]', 422, "invalid-field", "$[1]"),
        (b'[{"products": []}, true]', 422, "invalid-field", "$[1]"),
        (b"[1, 2", 400, "malformed-body", ANY),
        (b'["\\udcff"]', 400, "malformed-body", ANY),
    ],
    ids=["ints", "null", "nested-array", "int-second", "bool-second", "truncated", "lone-surrogate"],
)
@pytest.mark.parametrize("strict", [False, True])
def test_batch_not_an_array_of_strings_or_objects(client: httpx.Client, body: bytes, status: int, kind: str,
                                                  key: Any, strict: bool) -> None:
    assert_problem(client.post(V, content=body, params={"strict": strict}), status, kind, key=key)


@pytest.mark.parametrize("body", [b"\xff\xfe", b"3", b'"x"', b"null", b"{: x", b"- 1", b"\x00",
                                  b'{"a": 1}{"b": 2}', b"--- {}\n--- {}\n", b"&a [*a]"],
                         ids=["not-utf8", "int", "string", "null", "neither", "yaml-list", "nul",
                              "two-json", "two-yaml", "recursive-alias"])
def test_validate_body_not_an_association_file(client: httpx.Client, body: bytes) -> None:
    assert_problem(client.post(V, content=body), 422, "not-an-association")


def test_invalid_association_files_are_answered_not_refused(client: httpx.Client) -> None:
    """The contrast: a file that is an association file, but an invalid one, gets 200."""
    for body in (b'{"products": 3}', b'["not an association", {"products": 3}]'):
        response = client.post(V, content=body)
        assert response.status_code == 200, response.text
        assert response.json()["valid"] is False


# --- HTTP only: explain ---------------------------------------------------------------

@pytest.mark.parametrize(("rules", "key"), [(["Nope"], "$.rule[0]"), (["Asn_Lv2Image", "asn_lv2image"], "$.rule[1]")])
def test_unknown_rule_in_explain(client: httpx.Client, rules: list[str], key: str) -> None:
    assert_problem(client.post(E, json={"pool": GOOD, "rule": rules}), 422, "bad-request",
                   f"no rule {rules[-1]!r}", key=key)


@pytest.mark.parametrize(
    ("options", "status", "kind", "parts"),
    [
        ({"row": [2]}, 422, "bad-request", ("pool.csv: no row 2 (the pool has rows 1 to 1)",)),
        ({"row": [1, 5]}, 422, "bad-request", ("no row 5",)),
        ({"row": [2**62]}, 422, "bad-request", (f"no row {2**62}",)),
        ({"row": [0]}, 422, "invalid-field", ()),
        ({"row": [-1]}, 422, "invalid-field", ()),
        ({"file": ["nope.fits"]}, 422, "bad-request", ("no row with file name 'nope.fits'",)),
    ],
    ids=["past-the-end", "second-past-the-end", "huge", "zero", "negative", "unknown-file"],
)
def test_row_out_of_range_in_explain(client: httpx.Client, options: dict[str, Any], status: int, kind: str,
                                     parts: tuple[str, ...]) -> None:
    assert_problem(client.post(E, json={"pool": GOOD, **options}), status, kind, *parts)


# --- HTTP only: a pool as JSON rows ---------------------------------------------------

@pytest.mark.parametrize(
    ("rows", "row", "column", "key"),
    [
        ([{**GOOD_ROW, "Filename": "x"}], 1, "filename", "$.pool[0]"),
        ([GOOD_ROW, {**GOOD_ROW, "EXP_TYPE": "nrc_image"}], 2, "exp_type", "$.pool[1]"),
        ([{"A": 1, "a": 2}], 1, "a", "$.pool[0]"),
    ],
    ids=["filename-Filename", "on-row-2", "A-a"],
)
@pytest.mark.parametrize("path", [G, E])
def test_json_rows_with_columns_differing_only_in_case(client: httpx.Client, path: str, rows: list[dict[str, Any]],
                                                       row: int, column: str, key: str) -> None:
    """(``column``: the name as the row gives it second, in any case.)"""
    doc = assert_problem(client.post(path, json={"pool": rows}), 422, "bad-pool",
                         f"row {row}: two columns have the same name", row=row, key=key)
    assert doc["column"].lower() == column, doc


@pytest.mark.parametrize("path", [G, E])
def test_json_rows_with_a_blank_column_name(client: httpx.Client, path: str) -> None:
    assert_problem(client.post(path, json={"pool": [{**GOOD_ROW, " ": "x"}]}), 422, "bad-pool", "a blank column name",
                   row=1, key="$.pool[0]")


@pytest.mark.parametrize(("cell", "key"), [([1], "$.pool[0]"), ({"a": 1}, "$.pool[0]")])
def test_json_rows_with_a_cell_not_a_scalar(client: httpx.Client, cell: object, key: str) -> None:
    doc = assert_problem(client.post(G, json={"pool": [{**GOOD_ROW, "filter": cell}]}), 422, "invalid-field")
    assert doc["key"].startswith(key)


# --- HTTP only: the service's limits -------------------------------------------------

@pytest.mark.parametrize("path", [G, E, V])
def test_body_over_the_size_limit(small: httpx.Client, path: str) -> None:
    body = json.dumps({"pool": HEADER + "\n" + f"{ROW}\n" * 40}).encode()
    assert len(body) > 4096
    assert_problem(raw(small, path, body), 413, "too-large")


def test_body_over_the_size_limit_without_a_length(small: httpx.Client) -> None:
    """A chunked body (no Content-Length) over the limit: refused as well."""
    def chunks() -> Iterator[bytes]:
        yield b'{"pool": "'
        for _ in range(40):
            yield b"x" * 200
        yield b'"}'
    assert_problem(small.post(G, content=chunks(), headers={"content-type": "application/json"}), 413, "too-large")


@pytest.mark.parametrize("form", ["text", "rows"])
@pytest.mark.parametrize("path", [G, E])
def test_too_many_rows(small: httpx.Client, path: str, form: str) -> None:
    pool: str | list[dict[str, str]] = HEADER + "\n" + f"{ROW}\n" * 4 if form == "text" else [GOOD_ROW] * 4
    assert_problem(small.post(path, json={"pool": pool}), 413, "too-large", "the pool has 4 rows", "at most 3")
    assert small.post(path, json={"pool": HEADER + "\n" + f"{ROW}\n" * 3}).status_code == 200


def test_too_many_files(small: httpx.Client) -> None:
    assert_problem(small.post(V, content=b'["{}", "{}", "{}"]'), 413, "too-large", "3 files", "at most 2")
    assert small.post(V, content=b'["{}", "{}"]').status_code == 200


def _slow_rows(count: int = 2000) -> list[dict[str, str]]:
    """A pool that takes far longer than 0.05 s: ``count`` MIRI images in 50 observations."""
    from synthetic import cells

    return [cells(i, exp_type="mir_image", instrume="miri", detector="mirimage", filter="f560w", obs_num=str(i % 50),
                  asn_candidate=f"[('o{i % 50:03d}', 'observation')]") for i in range(1, count + 1)]


@pytest.mark.parametrize("path", [G, E])
def test_time_limit(hurried: httpx.Client, path: str) -> None:
    assert_problem(hurried.post(path, json={"pool": _slow_rows()}), 422, "time-limit", "ASNFP_SERVE_TIME_LIMIT")


# --- once 5xx, or a detail of more than one line --------------------------------------

@pytest.mark.parametrize(("path", "body"), [(G, b"[" * 100_000), (G, b'{"pool": ' + b"[" * 100_000),
                                            (E, b"[" * 100_000), (V, b"[" * 100_000)],
                         ids=["generate", "generate-pool", "explain", "validate-batch"])
def test_deeply_nested_body(client: httpx.Client, path: str, body: bytes) -> None:
    assert_problem(raw(client, path, body), 400, "malformed-body")


def test_a_name_with_a_line_break_stays_one_line(client: httpx.Client) -> None:
    """asnfp's own errors show the name escaped (``a\\nb.csv``)."""
    assert_problem(client.post(G, json={"pool": "", "name": "a\nb.csv"}), 422, "bad-pool", "a\\nb.csv: is empty")
    assert_problem(client.post(G, json={"pool": without("exp_type"), "name": "a\nb.csv"}), 422, "bad-pool",
                   "a\\nb.csv, column 'exp_type'")


def test_a_name_with_a_line_break_stays_one_line_json_rows(client: httpx.Client) -> None:
    assert_problem(client.post(G, json={"pool": [{"A": 1, "a": 2}], "name": "a\nb.csv"}), 422, "bad-pool")


def test_a_name_with_a_line_break_stays_one_line_too_many_rows(small: httpx.Client) -> None:
    assert_problem(small.post(G, json={"pool": [GOOD_ROW] * 4, "name": "a\nb.csv"}), 413, "too-large")


# --- every class of test_bad_input.py has its counterpart ----------------------------

#: Each test of test_bad_input.py -> the test here that sends its bad input as a request.
COVERED = {
    "test_good_pool_is_the_baseline": "test_good_pool_is_the_baseline_over_http",
    "test_unreadable_pool_content": "test_unreadable_pool_content_over_http",
    "test_missing_column": "test_missing_column_over_http",
    "test_missing_pool_file": "test_missing_pool_over_http",
    "test_header_only_pool_succeeds_with_no_files": "test_header_only_pool_over_http",
    "test_wrong_delimiter_names_the_first_bad_row": "test_wrong_delimiter_names_the_first_bad_row_over_http",
    "test_wrong_delimiter_one_big_column": "test_wrong_delimiter_one_big_column_over_http",
    "test_impossible_delimiter": "test_impossible_delimiter_over_http",
    "test_unknown_pool_format": "test_unknown_pool_format_over_http",
    "test_real_pool_without_asn_candidate": "test_real_pool_without_asn_candidate_over_http",
    "test_bogus_output_format": "test_bogus_output_format_over_http",
    "test_conflicting_ids_and_discover": "test_conflicting_ids_and_discover_over_http",
    "test_unknown_candidate_id_warns_and_writes_nothing": "test_unknown_candidate_id_over_http",
    "test_no_traceback_reaches_the_user": "test_no_internal_error_reaches_the_client",
    "test_an_unknown_flag_is_one_line": "test_an_unknown_field_over_http",
}

_NO_PATH = "the service reads no path: a pool is the request's text or JSON rows"
_NO_OUTPUT = "the service writes nothing: the files (and the orphan table) are in the answer"
#: Each test of test_bad_input.py with no counterpart over HTTP, and why.
NO_HTTP_COUNTERPART = {
    "test_folder_given_as_pool": _NO_PATH,
    "test_unreadable_pool": _NO_PATH + " (no file permissions)",
    "test_unreadable_pool_as_a_process": _NO_PATH + " (no file permissions)",
    "test_output_path_is_an_existing_file": _NO_OUTPUT,
    "test_output_path_below_a_file": _NO_OUTPUT,
    "test_output_path_in_read_only_folder": _NO_OUTPUT,
    "test_read_only_output_as_a_process": _NO_OUTPUT,
    "test_output_path_nested_and_missing_is_created": _NO_OUTPUT,
    "test_orphan_table_onto_a_folder_writes_nothing": _NO_OUTPUT + " (no --save-orphans)",
    "test_orphan_table_named_inside_a_new_output_folder": _NO_OUTPUT + " (no --save-orphans)",
    "test_orphan_table_that_cannot_be_written_outside_writes_nothing": _NO_OUTPUT + " (no --save-orphans)",
}


def test_every_bad_input_class_has_an_http_counterpart() -> None:
    tree = ast.parse(BAD_INPUT.read_text(encoding="utf-8"))
    classes = {node.name for node in tree.body
               if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test_")}
    assert classes, BAD_INPUT
    assert not set(COVERED) & set(NO_HTTP_COUNTERPART)
    unmapped = sorted(classes - set(COVERED) - set(NO_HTTP_COUNTERPART))
    assert unmapped == [], f"bad-input classes of {BAD_INPUT.name} with no HTTP counterpart here: {unmapped}"
    assert sorted((set(COVERED) | set(NO_HTTP_COUNTERPART)) - classes) == [], "mapped classes that are gone"
    here = globals()
    assert [name for name in COVERED.values() if not callable(here.get(name))] == []
