"""The process-wide freeze of older objects: nested and overlapping holders, a freeze made before."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from airflow_provider_tunedmodels.core.heap import older_objects_frozen


@pytest.fixture(autouse=True)
def nothing_frozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_objects_are_frozen_while_held_and_handed_back_after() -> None:
    assert gc.get_freeze_count() == 0
    with older_objects_frozen():
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0


def test_overlapping_holders_keep_the_freeze_until_the_last_leaves() -> None:
    first, second = older_objects_frozen(), older_objects_frozen()
    first.__enter__()
    second.__enter__()
    frozen = gc.get_freeze_count()
    first.__exit__(None, None, None)  # the first to enter leaves first
    assert gc.get_freeze_count() == frozen
    second.__exit__(None, None, None)
    assert gc.get_freeze_count() == 0


def test_a_holder_that_raises_still_hands_the_objects_back() -> None:
    with pytest.raises(RuntimeError), older_objects_frozen():
        raise RuntimeError("boom")
    assert gc.get_freeze_count() == 0


def test_a_freeze_made_before_is_left_as_it_is() -> None:
    gc.freeze()
    frozen = gc.get_freeze_count()
    with older_objects_frozen():
        assert gc.get_freeze_count() == frozen  # nothing more frozen
    assert gc.get_freeze_count() == frozen  # and not unfrozen by the block
