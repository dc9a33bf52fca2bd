"""regioqa.io and the index lock: records, atomic files, one writer."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from regioqa.errors import IndexError_, InputError
from regioqa.index_store import index_lock
from regioqa.io import read_jsonl_tolerant, resume_jsonl


def test_a_jsonl_line_that_is_not_an_object_is_named(tmp_path: Path) -> None:
    p = tmp_path / "out.jsonl"
    p.write_text('{"id": 1}\n[1, 2]\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"line 2: expected a JSON object"):
        read_jsonl_tolerant(p)
    with pytest.raises(InputError, match=r"line 2"):
        resume_jsonl(p)


def test_the_index_lock_nests_in_one_thread_and_refuses_another(tmp_path: Path) -> None:
    d = tmp_path / "idx"
    seen: list[BaseException | None] = []

    def other() -> None:
        try:
            with index_lock(d):
                seen.append(None)
        except IndexError_ as e:
            seen.append(e)

    with index_lock(d):
        with index_lock(d):  # nested in the same thread
            t = threading.Thread(target=other)
            t.start()
            t.join()
    assert len(seen) == 1 and isinstance(seen[0], IndexError_) and "being written" in str(seen[0])
    other()  # released: a later writer gets it
    assert seen[-1] is None
