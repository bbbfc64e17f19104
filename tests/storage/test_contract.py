"""The storage contract, run on both backends: the instance folder and an S3-compatible server."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

import config
from webapp.storage import InvalidKey, LocalStorage, S3Storage, Storage


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path) -> Storage:
    if request.param == "local":
        return LocalStorage(tmp_path / "instance")
    env = request.getfixturevalue("s3_bucket")
    return S3Storage(config.load({**env, "INSTANCE_DIR": str(tmp_path)}).storage)


def test_what_is_written_reads_back_the_same(store):
    data = bytes(range(256)) * 1000
    store.write("tickets/7/order-1.pdf", data)
    assert store.read("tickets/7/order-1.pdf") == data
    assert store.exists("tickets/7/order-1.pdf")
    assert store.size("tickets/7/order-1.pdf") == len(data)
    assert b"".join(store.chunks("tickets/7/order-1.pdf", size=4096)) == data


def test_writing_again_replaces_the_object(store):
    store.write("exports/1/list.csv", b"first")
    store.write("exports/1/list.csv", b"second")
    assert store.read("exports/1/list.csv") == b"second"
    assert store.keys("exports/1/") == ["exports/1/list.csv"]


def test_a_missing_key_is_file_not_found_everywhere(store):
    assert not store.exists("nothing/here.pdf")
    for call in (store.read, store.size, store.modified):
        with pytest.raises(FileNotFoundError):
            call("nothing/here.pdf")
    with pytest.raises(FileNotFoundError):
        b"".join(store.chunks("nothing/here.pdf"))
    store.delete("nothing/here.pdf")  # deleting what is not there is fine


def test_delete_removes_only_that_object(store):
    store.write("covers/a.jpg", b"a")
    store.write("covers/b.jpg", b"b")
    store.delete("covers/a.jpg")
    assert not store.exists("covers/a.jpg")
    assert store.read("covers/b.jpg") == b"b"


def test_keys_and_delete_prefix_stay_inside_their_folder(store):
    for key in ("job_parts/12/0.pdf", "job_parts/12/1.pdf", "job_parts/123/0.pdf", "job_parts/1/0.pdf"):
        store.write(key, key.encode())
    assert store.keys("job_parts/12/") == ["job_parts/12/0.pdf", "job_parts/12/1.pdf"]
    assert store.keys("job_parts/12") == ["job_parts/12/0.pdf", "job_parts/12/1.pdf"]  # a folder, not a prefix
    assert store.delete_prefix("job_parts/12/") == 2
    assert store.keys("job_parts/12/") == []
    assert store.keys("job_parts/") == ["job_parts/1/0.pdf", "job_parts/123/0.pdf"]
    assert store.keys("nothing/") == []


def test_modified_is_when_it_was_written_in_utc(store):
    before = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0) - dt.timedelta(seconds=2)
    store.write("exports/when.csv", b"x")
    when = store.modified("exports/when.csv")
    assert when.tzinfo is None
    assert before <= when <= before + dt.timedelta(minutes=2)


@pytest.mark.parametrize(
    "key",
    ["", "/etc/passwd", "../secret_key", "a/../../b", "a//b", "a/./b", "a\\b", "a/b/", "nul\x00byte", "tab\tkey",
     "x" * 1000],
)  # fmt: skip
def test_keys_that_could_leave_the_store_are_refused(store, key):
    for call in (store.read, store.exists, store.delete):
        with pytest.raises(InvalidKey):
            call(key)
    with pytest.raises(InvalidKey):
        store.write(key, b"x")


def test_readers_never_see_half_an_object_while_it_is_rewritten(store):
    small, large = b"s" * 10, b"L" * 2_000_000
    store.write("tickets/race.pdf", small)
    seen: set[int] = set()
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            seen.add(len(store.read("tickets/race.pdf")))

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for _ in range(5):
            store.write("tickets/race.pdf", large)
            store.write("tickets/race.pdf", small)
    finally:
        stop.set()
        thread.join()
    assert seen <= {len(small), len(large)}


def test_unicode_names_survive(store):
    store.write("imports/3/peserta-ñandú-東京.csv", b"nama,email\n")
    assert store.keys("imports/3/") == ["imports/3/peserta-ñandú-東京.csv"]
    assert store.read("imports/3/peserta-ñandú-東京.csv") == b"nama,email\n"
