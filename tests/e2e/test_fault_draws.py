"""The seeded faults of tests/fakes/flaky.py are the same on every run: a request's draw does
not depend on the port the fake server was given (CI failed once because a link to the fake's
own files, port included, was part of what was hashed), nor on the order requests arrive in
(the ids the fake gives, which later requests carry, are drawn from content too)."""

from __future__ import annotations

from tests.fakes.flaky import ContentIds, Dice


def _draw(port: int, upload: int) -> float:
    body = {"prompt": "a hare", "init_image": f"http://127.0.0.1:{port}/files/upload-{upload}.png"}
    return Dice(2).roll("POST", "/api/v6/images/img2img", body)


def test_a_draw_is_the_same_whatever_port_the_fake_listens_on() -> None:
    assert _draw(43639, 1005) == _draw(51234, 1005) == _draw(8080, 1005)


def test_a_draw_still_depends_on_the_request_content() -> None:
    other = {"prompt": "a tortoise", "init_image": "http://127.0.0.1:43639/files/upload-1.png"}
    assert _draw(43639, 1) != Dice(2).roll("POST", "/api/v6/images/img2img", other)


def test_ids_are_the_same_whatever_order_the_requests_arrive_in() -> None:
    hare, tortoise = {"prompt": "a hare", "key": "k1"}, {"prompt": "a tortoise", "key": "k2"}
    path = "/api/v6/images/text2img"
    first, second = ContentIds(), ContentIds()
    in_order = [first.next(path, hare), first.next(path, tortoise), first.next(path, hare)]
    swapped = [second.next(path, tortoise), second.next(path, hare), second.next(path, hare)]
    assert in_order == [swapped[1], swapped[0], swapped[2]]
    assert len(set(in_order)) == 3  # the same content sent again is another job
