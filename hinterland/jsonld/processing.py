"""JSON-LD expansion through pyld with our loader, its context cache and error mapping."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from frozendict import frozendict
from pyld import jsonld

from hinterland.errors import HinterlandError, JsonLdError
from hinterland.jsonld.loader import DocumentLoader, default_loader

Document = dict[str, Any] | list[Any]


@lru_cache(maxsize=8192)
def is_absolute_iri(value: str) -> bool:
    """pyld's test of an absolute IRI (what its expansion keeps and its RDF emits), cached:
    the direct walk and its templates must agree on it exactly."""
    return bool(jsonld._is_absolute_iri(value))


@contextmanager
def pyld_errors(action: str) -> Iterator[None]:
    """Turn pyld's errors into ours, keeping our own errors raised from inside pyld.

    pyld wraps exceptions from the document loader (e.g. `RemoteContextRefused`) in its
    own; the innermost Hinterland error is the one a person can act on.
    """
    try:
        yield
    except HinterlandError:
        raise
    except jsonld.JsonLdError as error:
        cause: BaseException | None = error
        innermost = error
        while cause is not None:
            if isinstance(cause, HinterlandError):
                raise cause from None
            if isinstance(cause, jsonld.JsonLdError):
                innermost = cause
            cause = cause.__cause__ or cause.__context__
        message = innermost.args[0] if innermost.args else "unknown error"
        detail = f" ({innermost.code})" if innermost.code else ""
        raise JsonLdError(f"could not {action} the JSON-LD document: {message}{detail}") from None
    except (TypeError, ValueError, KeyError, AttributeError, RecursionError) as error:
        raise JsonLdError(f"could not {action} the JSON-LD document: {error}") from None


class CachingProcessor(jsonld.JsonLdProcessor):  # type: ignore[misc]
    """A pyld processor that reuses processed contexts across documents.

    pyld caches a processed context per (context, active context), but type-scoped and
    other non-propagating contexts are applied to a fresh clone with a random id, so they
    are processed again for every document (most of the time of expanding a credential).
    Processing a context is a pure function of the (immutable, frozen) active context,
    the local context, the flags and the base IRI, so results are memoized on those; URL
    contexts by value, object contexts by identity (kept alive by the entry, so ids
    cannot be reused). Documents with their own inline contexts simply miss this cache;
    it is a bounded LRU, so they cannot grow it without limit.
    """

    def __init__(self, loader: DocumentLoader, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._memo = loader.processed_contexts
        self.walk_plans = loader.walk_plans
        self._iris: dict[tuple[int, str, Any, bool], tuple[Any, Any]] = {}

    def _expand_iri(
        self,
        active_ctx: Any,
        value: Any,
        base: Any = None,
        vocab: bool = False,
        local_ctx: Any = None,
        defined: Any = None,
    ) -> Any:
        # Expanding a key or value against a frozen (immutable) active context is a pure
        # function; documents repeat the same keys, within and across documents. A dict
        # for this operation in front of the loader's bounded shared cache.
        if local_ctx is not None or defined is not None or type(value) is not str:
            return super()._expand_iri(active_ctx, value, base, vocab, local_ctx, defined)
        key = (id(active_ctx), value, base, vocab)
        hit = self._iris.get(key) or self.walk_plans.get(key)
        if hit is not None and hit[0] is active_ctx:
            self._iris[key] = hit
            return hit[1]
        result = super()._expand_iri(active_ctx, value, base, vocab)
        if isinstance(active_ctx, frozendict):
            self._iris[key] = self.walk_plans[key] = (active_ctx, result)
        return result

    def _process_context(
        self,
        active_ctx: Any,
        local_ctx: Any,
        options: Any,
        override_protected: bool = False,
        propagate: bool = True,
        validate_scoped: bool = True,
        cycles: Any = None,
    ) -> Any:
        if cycles is not None or not isinstance(active_ctx, frozendict):
            return super()._process_context(
                active_ctx,
                local_ctx,
                options,
                override_protected,
                propagate,
                validate_scoped,
                cycles,
            )
        # URL contexts (the usual top-level `@context`) by value: the document's list is a
        # new object every time; object contexts by identity (term-scoped ones live in
        # the cached active contexts, so the same object comes back; so does a shared
        # inline context in a fresh list, as credentials we issue carry).
        if isinstance(local_ctx, str):
            identity: Any = local_ctx
        elif isinstance(local_ctx, list):
            identity = tuple(item if isinstance(item, str) else id(item) for item in local_ctx)
        else:
            identity = id(local_ctx)
        key = (
            active_ctx.get("_uuid"),
            identity,
            override_protected,
            propagate,
            validate_scoped,
            options.get("base"),
            options.get("processingMode"),
        )
        hit = self._memo.get(key)
        if hit is not None and hit[1] is active_ctx and _same_context(hit[0], local_ctx):
            return hit[2]
        result = super()._process_context(
            active_ctx, local_ctx, options, override_protected, propagate, validate_scoped, cycles
        )
        if isinstance(result, frozendict):
            self._memo[key] = (local_ctx, active_ctx, result)
        return result


class TrackingProcessor(CachingProcessor):
    """A pyld processor that records the path of every key expansion drops."""

    def __init__(self, loader: DocumentLoader) -> None:
        super().__init__(loader, on_property_dropped=self._dropped_here)
        self._frames: list[tuple[Any, dict[str, Any], list[bool]]] = []
        self.dropped: dict[str, None] = {}

    def _dropped_here(self, _expanded: str | None) -> None:
        self._frames[-1][2][0] = True

    def _expand_object(
        self,
        active_ctx: Any,
        active_property: Any,
        expanded_active_property: Any,
        element: dict[str, Any],
        expanded_parent: Any,
        options: Any,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        flag = [False]
        self._frames.append((active_property, element, flag))
        try:
            result = super()._expand_object(
                active_ctx,
                active_property,
                expanded_active_property,
                element,
                expanded_parent,
                options,
                *args,
                **kwargs,
            )
            if flag[0]:
                self._record(active_ctx, element)
            return result
        finally:
            self._frames.pop()

    def _record(self, active_ctx: Any, element: dict[str, Any]) -> None:
        prefix = self._path()
        for key in sorted(element):
            if key == "@context":
                continue
            expanded = self._expand_iri(active_ctx, key, vocab=True)
            if expanded is None or not (
                jsonld._is_absolute_iri(expanded) or jsonld._is_keyword(expanded)
            ):
                self.dropped[f"{prefix}{key}"] = None

    def _path(self) -> str:
        """Dotted keys from the document root to the innermost object being expanded."""
        parts: list[str] = []
        for index in range(1, len(self._frames)):
            active_property, element, _ = self._frames[index]
            parent = self._frames[index - 1][1]
            name = active_property
            for key, value in parent.items():
                if value is element or (
                    isinstance(value, list) and any(item is element for item in value)
                ):
                    name = key
                    break
            if isinstance(name, str):
                parts.append(name)
        return "".join(f"{part}." for part in parts)


def expand(document: Document, loader: DocumentLoader | None = None) -> list[Any]:
    """Expand a JSON-LD document with the offline loader (contexts cached across calls)."""
    loader = loader or default_loader()
    with pyld_errors("expand"):
        result = CachingProcessor(loader).expand(document, loader.options())
    assert isinstance(result, list)
    return result


def expand_tracking(
    document: Document, loader: DocumentLoader | None = None
) -> tuple[list[Any], list[str]]:
    """Expand a document and return the dotted paths of the keys expansion dropped."""
    loader = loader or default_loader()
    processor = TrackingProcessor(loader)
    with pyld_errors("expand"):
        result = processor.expand(document, loader.options())
    assert isinstance(result, list)
    return result, list(processor.dropped)


def _same_context(cached: Any, local_ctx: Any) -> bool:
    """Whether a memo entry made for `cached` holds for `local_ctx`: URLs compare by
    value, context objects by identity (an id alone may have been reused)."""
    if cached is local_ctx or isinstance(local_ctx, str):
        return True
    if isinstance(local_ctx, list) and isinstance(cached, list) and len(cached) == len(local_ctx):
        pairs = zip(cached, local_ctx, strict=True)
        return all(a is b or (isinstance(b, str) and a == b) for a, b in pairs)
    return False
