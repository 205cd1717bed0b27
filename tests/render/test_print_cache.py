"""Print-ready images are made once: cached by the image's digest, its box and CMYK."""

from __future__ import annotations

from pathlib import Path

import pytest

from bookbuild.render import printcache
from bookbuild.render.printcache import PrintJob, prepare_many
from tests.helpers.render_views import png


def jobs(count: int, box: tuple[int, int] = (200, 200)) -> list[PrintJob]:
    found = []
    for n in range(count):
        data = png(320, 240, (40 * n % 256, 90, 160))
        found.append(PrintJob(f"sha256:{n:064x}", data, box, f"picture {n}", cmyk=False))
    return found


def test_a_second_build_reads_print_images_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = prepare_many(jobs(3), tmp_path)
    assert len(list(tmp_path.iterdir())) == 3

    def never(job: PrintJob) -> None:
        raise AssertionError(f"{job.what} was made again")

    monkeypatch.setattr(printcache, "_prepare", never)
    again = prepare_many(jobs(3), tmp_path)
    assert [(i.data, i.ext, i.width, i.height) for i in again] == [
        (i.data, i.ext, i.width, i.height) for i in first
    ]


def test_another_box_is_another_print_image(tmp_path: Path) -> None:
    small = prepare_many(jobs(1, (100, 100)), tmp_path)[0]
    large = prepare_many(jobs(1, (400, 400)), tmp_path)[0]
    assert (small.width, large.width) == (100, 320)  # never enlarged
    assert len(list(tmp_path.iterdir())) == 2


def test_a_damaged_cache_entry_is_made_again(tmp_path: Path) -> None:
    good = prepare_many(jobs(1), tmp_path)[0]
    (entry,) = tmp_path.iterdir()
    entry.write_bytes(b"not an image")
    assert prepare_many(jobs(1), tmp_path)[0].data == good.data
    assert entry.read_bytes() == good.data


def test_images_made_on_every_core_are_the_images_made_here(tmp_path: Path) -> None:
    many = jobs(printcache.PARALLEL_FROM + 2)
    parallel = prepare_many(many, tmp_path / "a")
    serial = [printcache._prepare(job) for job in many]
    assert [i.data for i in parallel] == [i.data for i in serial]
    assert prepare_many(many, None)[0].data == serial[0].data
