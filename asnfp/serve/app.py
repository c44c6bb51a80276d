"""The HTTP edge: a Litestar application whose handlers decode a request into a
:mod:`~asnfp.serve.schema` type, hand it to :mod:`~asnfp.serve.work` (generation and
explanation in a worker thread, off the event loop, within the time limit), and answer
the typed result; every refusal is a problem document (:mod:`~asnfp.serve.problems`).

>>> from litestar.testing import TestClient
>>> with TestClient(create_app(Settings())) as client:
...     client.get("/v1/health").json()["status"], client.get("/v1/nothing").status_code
('ok', 404)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Final, Literal, TypeVar

import anyio
import msgspec
from litestar import Litestar, Request, Response, Router, get, post
from litestar.datastructures import State
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi import OpenAPIConfig, ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema
from litestar.params import FromPath, JSONBody, Parameter

from asnfp.errors import AsnfpError
from asnfp.serve import work
from asnfp.serve.problems import KINDS, MEDIA_TYPE, Problem, Refused, key_of, problem, problem_of
from asnfp.serve.schema import (
    Explained,
    ExplainRequest,
    Generated,
    GenerateRequest,
    Health,
    RuleDetail,
    Validation,
)
from asnfp.serve.settings import Settings
from asnfp.version import REFERENCE_VERSION, __version__

__all__ = ("create_app", "PREFIX")

T = TypeVar("T")

#: Where the endpoints are.
PREFIX: Final = "/v1"
#: A body to validate larger than this is checked in a worker thread, not on the event loop.
_INLINE_BYTES: Final = 64 << 10


def _answer(found: Problem) -> Response[bytes]:
    return Response(msgspec.json.encode(found), status_code=found.status, media_type=MEDIA_TYPE)


def _settings(state: State) -> Settings:
    settings: Settings = state.settings
    return settings


async def _off_loop(state: State, job: Callable[[], T]) -> T:
    """Run ``job`` in a worker thread (at most ``settings.threads`` at once per process)."""
    limiter: anyio.CapacityLimiter = state.limiter
    return await anyio.to_thread.run_sync(job, limiter=limiter)


def _problems(*statuses: int) -> dict[int, ResponseSpec]:
    """The refusals an endpoint may answer, each a problem document, for the OpenAPI document."""
    return {status: ResponseSpec(data_container=Problem, media_type=MEDIA_TYPE, generate_examples=False,
                                 description=" / ".join(title for code, title in KINDS.values() if code == status))
            for status in statuses}


#: What any request may be refused with, whatever its endpoint (422: a field or query
#: parameter it does not take, at least).
_REFUSALS: Final = _problems(400, 404, 405, 413, 415, 422)


@get("/health", sync_to_thread=False, responses=_REFUSALS)
def health() -> Health:
    """The service is up."""
    return Health("ok", __version__, REFERENCE_VERSION)


@get("/rules", sync_to_thread=False, responses=_REFUSALS)
def rules() -> tuple[RuleDetail, ...]:
    """The JWST rule catalogue, in the order the rules run (as ``asnfp rules``), each
    rule as data and as its tree."""
    return work.rule_details()


@get("/rules/{name:str}", sync_to_thread=False, responses=_REFUSALS)
def rule(name: FromPath[str]) -> RuleDetail:
    """One rule: its constraint as a tree of data, and as ``asnfp rules -k NAME`` prints it."""
    found = work.rule_detail(name)
    if found is None:
        raise Refused(problem("not-found", f"no rule {name!r} (GET {PREFIX}/rules lists them)"))
    return found


@post("/generate", status_code=200, responses=_REFUSALS)
async def generate(data: JSONBody[GenerateRequest], state: State) -> Generated:
    """``asnfp generate`` on a pool: the association files it writes (their names and
    text, byte for byte), the orphans and the orphan table."""
    settings = _settings(state)
    return await _off_loop(state, partial(work.generate, data, settings, work.Deadline(settings.time_limit)))


@post("/explain", status_code=200, responses=_REFUSALS)
async def explain(data: JSONBody[ExplainRequest], state: State) -> Explained:
    """``asnfp explain`` on a pool: why each row asked for joined, or did not join, each rule."""
    settings = _settings(state)
    return await _off_loop(state, partial(work.explain, data, settings, work.Deadline(settings.time_limit)))


_FILE_DOC = ("One association file as it is on disk (JSON or YAML), or a JSON array of files, each its "
             "text (a string) or a JSON object.")


_FILE_SCHEMA: Final = Schema(one_of=[
    Schema(type=OpenAPIType.OBJECT, description="one association file (its JSON)"),
    Schema(type=OpenAPIType.ARRAY, description="a batch: each file its text, or its JSON",
           items=Schema(one_of=[Schema(type=OpenAPIType.STRING), Schema(type=OpenAPIType.OBJECT)])),
])


@dataclass
class _FileOperation(Operation):
    """The OpenAPI operation of ``validate``: its body is read as it is, not decoded."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(content={"application/json": OpenAPIMediaType(schema=_FILE_SCHEMA)},
                                        description=_FILE_DOC, required=True)


@post("/validate", status_code=200, operation_class=_FileOperation, responses=_REFUSALS)
async def validate(
    request: Request[object, object, State],
    strict: Annotated[bool, Parameter(description="asnfp's own checks too (asnfp validate --strict)")] = False,
    format: Annotated[Literal["json", "yaml"], Parameter(
        description="with strict: the format the file is named as (YAML is standard only for .yaml)")] = "json",
) -> Validation:
    """``asnfp validate`` on association files: a verdict per file (the reference's, or
    with ``strict`` asnfp's own too). Invalid files are answered 200 with their verdict;
    only a body that is no association file at all is refused."""
    state = request.app.state
    data = await request.body()
    job = partial(work.validate, data, _settings(state), strict=strict, is_yaml=format == "yaml")
    if len(data) <= _INLINE_BYTES:
        return job()
    return await _off_loop(state, job)


# --------------------------------------------------------------------------- refusals


_STATUS_KINDS: Final = {400: "malformed-body", 404: "not-found", 405: "method-not-allowed", 413: "too-large",
                        415: "unsupported-media-type"}


def _refused(_: Request[object, object, State], err: Refused) -> Response[bytes]:
    return _answer(err.problem)


def _asnfp_error(_: Request[object, object, State], err: AsnfpError) -> Response[bytes]:
    return _answer(problem_of(err))


def _time_limit(_: Request[object, object, State], err: work.TimeLimit) -> Response[bytes]:
    return _answer(problem("time-limit", str(err)))


def _too_deep(_: Request[object, object, State], err: RecursionError) -> Response[bytes]:
    """A body nested deeper than the decoder follows (msgspec stops at the recursion limit)."""
    return _answer(problem("malformed-body", "the body nests deeper than can be read"))


def _invalid(request: Request[object, object, State], err: ValidationException) -> Response[bytes]:
    """The framework's refusal of a body or parameter, as a problem naming the field
    (``$.field`` in the body, or the query parameter's name)."""
    extra = err.extra if isinstance(err.extra, list) else []
    first = extra[0] if extra and isinstance(extra[0], dict) else {}
    message, key, source = str(first.get("message") or err.detail), first.get("key"), first.get("source")
    if source == "body" and key == "data" and message == "'data'":  # (no body at all)
        return _answer(problem("malformed-body", "the body is empty: a JSON object is expected"))
    if "malformed" in message or "truncated" in message:
        return _answer(problem("malformed-body", f"the body is not JSON: {message}"))
    if source == "body" or source is None:
        key = key_of(message) or ("$" if key in (None, "data") else f"$.{key}")
    return _answer(problem("invalid-field", message if source in ("body", None) else f"{key}: {message}", key=key))


def _http(_: Request[object, object, State], err: HTTPException) -> Response[bytes]:
    status = err.status_code
    if status >= 500:
        return _internal(_, err)
    kind = _STATUS_KINDS.get(status, "http")
    return _answer(problem(kind, str(err.detail), status=status))


def _internal(_: Request[object, object, State], err: Exception) -> Response[bytes]:
    return _answer(problem("internal", f"{type(err).__name__}: {err}"))


# --------------------------------------------------------------------------- the app


#: The query parameters each path takes (any other is refused, as an unknown flag is).
_QUERY: Final = {f"{PREFIX}/validate": frozenset({"strict", "format"})}


async def _known_query(request: Request[object, object, State]) -> Response[bytes] | None:
    """Refuse a query parameter the endpoint does not take (run before each handler; a
    request with no query string, the usual one, is let through at once)."""
    if not request.scope["query_string"]:
        return None
    unknown = sorted(set(request.query_params) - _QUERY.get(request.scope["path"], frozenset()))
    if not unknown:
        return None
    return _answer(problem("invalid-field", f"{unknown[0]}: no such query parameter here", key=unknown[0]))


def create_app(settings: Settings | None = None) -> Litestar:
    """The application: the endpoints under :data:`PREFIX`, the OpenAPI document at
    ``/schema/openapi.json``, problem documents for every refusal. ``settings``: by
    default, the environment's (:meth:`Settings.from_env`).

    >>> from litestar.testing import TestClient
    >>> with TestClient(create_app(Settings(max_rows=1))) as client:
    ...     refused = client.post("/v1/generate", json={"pool": [{"filename": "a"}, {"filename": "b"}]})
    >>> refused.status_code, refused.headers["content-type"], refused.json()["type"]
    (413, 'application/problem+json', 'urn:asnfp:problem:too-large')
    """
    settings = settings or Settings.from_env()
    work.rule_details()  # (the catalogue described now, not in the first request)

    def startup(app: Litestar) -> None:
        app.state.limiter = anyio.CapacityLimiter(settings.threads)

    return Litestar(
        route_handlers=[Router(PREFIX, route_handlers=[health, rules, rule, generate, explain, validate])],
        state=State({"settings": settings}),
        on_startup=[startup],
        before_request=_known_query,
        request_max_body_size=settings.max_body_bytes,
        exception_handlers={
            Refused: _refused,
            AsnfpError: _asnfp_error,
            work.TimeLimit: _time_limit,
            RecursionError: _too_deep,
            ValidationException: _invalid,
            HTTPException: _http,
            Exception: _internal,
        },
        openapi_config=OpenAPIConfig(title="asnfp", version=__version__, path="/schema", render_plugins=[],
                                     description="JWST associations as a service: generate, validate, "
                                                 "explain, and the rule catalogue."),
        debug=False,
    )


def create_app_from_env() -> Litestar:
    """The application with the environment's settings (the server's factory).

    >>> import os
    >>> os.environ["ASNFP_SERVE_MAX_ROWS"] = "7"
    >>> create_app_from_env().state.settings.max_rows
    7
    >>> del os.environ["ASNFP_SERVE_MAX_ROWS"]
    """
    return create_app(Settings.from_env())
