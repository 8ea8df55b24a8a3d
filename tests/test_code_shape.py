"""The package stays small per module and writes little twice (see ``support/code_shape.py``)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import httpcore

from airflow_provider_tunedmodels import __file__ as package_init

from .support.code_shape import module_lines, twin_share, twins

PACKAGE = Path(package_init).parent
#: The largest module of release 0.1.0 had 629 lines; none may grow to that again.
LARGEST_MODULE_LINES = 629
#: Sync/async twins take about 5% of the package, as they do of httpcore.
MAX_TWIN_SHARE = 0.06


def test_no_module_reaches_the_size_of_the_largest_one_of_0_1_0() -> None:
    too_large = {name: n for name, n in module_lines(PACKAGE).items() if n >= LARGEST_MODULE_LINES}
    assert not too_large, f"split these modules: {too_large}"


def test_sync_async_twins_stay_about_as_rare_as_in_httpcore() -> None:
    ours = twin_share(PACKAGE)
    theirs = twin_share(Path(httpcore.__file__).parent)
    largest = sorted(twins(PACKAGE), key=lambda twin: -twin.lines)[:5]
    assert ours <= MAX_TWIN_SHARE, (
        f"{ours:.1%} of the package is twins (httpcore: {theirs:.1%}): {largest}"
    )
    assert theirs > 0.02  # the measure finds httpcore's twins: it is not blind


def test_the_twin_measure_pairs_prefixed_methods_and_mirrored_classes(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(
        textwrap.dedent(
            """
            class Client:
                def get(self):
                    return 1
                def lone(self):
                    return 2

            class AsyncClient:
                async def get(self):
                    return 1

            class Hook:
                def read(self):
                    return 1
                async def aread(self):
                    return 1
                async def only_async(self):
                    return 1
            """
        )
    )
    found = {twin.where: twin.lines for twin in twins(tmp_path)}
    assert found == {"m.py:Client/AsyncClient.get": 4, "m.py:Hook.read": 4}
