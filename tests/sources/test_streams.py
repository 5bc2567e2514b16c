"""Several inputs read at once: every item arrives, readers never run far ahead of the consumer, closing stops them."""

from __future__ import annotations

import asyncio
import threading
import time

from pipeline.sources.streams import interleaved, iterate_in_thread


class Shard:
    """An input of `size` items that records how many it has produced and whether it was closed."""

    def __init__(self, name: str, size: int) -> None:
        self.name, self.size = name, size
        self.produced = 0
        self.closed = False

    def __iter__(self):
        try:
            for n in range(self.size):
                self.produced += 1
                yield f"{self.name}-{n}"
        finally:
            self.closed = True


def test_every_item_of_every_input_arrives():
    shards = [Shard(f"s{k}", 50 + k) for k in range(5)]
    items = list(interleaved(iter(shards), threads=3, queue_size=4))
    assert sorted(items) == sorted(f"s{k}-{n}" for k in range(5) for n in range(50 + k))


def test_readers_wait_for_the_consumer_and_stop_when_it_closes():
    shards = [Shard(f"s{k}", 10_000) for k in range(3)]
    stream = interleaved(iter(shards), threads=2, queue_size=8)
    consumed = 0
    for _ in range(20):
        next(stream)
        consumed += 1
        time.sleep(0.01)
        ahead = sum(shard.produced for shard in shards) - consumed
        assert ahead <= 8 + 2  # the queue, plus one item in each reader's hand
    stream.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("input-reader-")]
    assert all(shard.closed for shard in shards if shard.produced)
    assert shards[2].produced == 0  # never started: two readers were busy with the first two


def test_an_error_in_a_reader_reaches_the_consumer():
    def failing():
        yield "first"
        raise OSError("disk gone")

    stream = interleaved(iter([failing()]), threads=1)
    assert next(stream) == "first"
    try:
        next(stream)
    except OSError as exc:
        assert str(exc) == "disk gone"
    else:
        raise AssertionError("the reader's error was lost")


def test_a_blocking_iterator_feeds_an_event_loop_without_blocking_it():
    ticks = []

    def slow():
        for n in range(3):
            time.sleep(0.3)
            yield n

    async def tick():
        while True:
            ticks.append(time.monotonic())
            await asyncio.sleep(0.01)

    async def main():
        ticker = asyncio.create_task(tick())
        items = [item async for item in iterate_in_thread(slow())]
        ticker.cancel()
        return items

    assert asyncio.run(main()) == [0, 1, 2]
    assert len(ticks) >= 10  # the loop went on running while the items were read (blocked, it would tick ~3 times)
