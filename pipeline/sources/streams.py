"""Blocking item streams made to cooperate: several read at once by threads, and one fed to an event loop.

Reading a WARC or JSONL input blocks (disk, decompression, S3), so it runs in threads; the items they
produce wait in bounded queues, which keeps memory flat and passes the consumer's backpressure on to
the readers.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import AsyncIterator, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
_END = object()
_POLL_S = 0.1  # how often a blocked reader looks whether the consumer has gone


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def interleaved(iterables: Iterator[Iterable[T]], threads: int, queue_size: int = 64) -> Iterator[T]:
    """The items of `iterables`, `threads` of them read at once, each item yielded as soon as it is read.

    At most `queue_size` items wait between the readers and the consumer. Closing this generator stops
    the readers (each closes the iterable it was reading).
    """
    waiting: queue.Queue = queue.Queue(maxsize=queue_size)
    stop = threading.Event()
    take_lock = threading.Lock()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                waiting.put(item, timeout=_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            while not stop.is_set():
                with take_lock:
                    iterable = next(iterables, None)
                if iterable is None:
                    return
                iterator = iter(iterable)
                try:
                    for item in iterator:
                        if not put(item):
                            return
                finally:
                    getattr(iterator, "close", lambda: None)()
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which raises it
            put(_Failed(exc))
        finally:
            put(_END)

    readers = [threading.Thread(target=read, name=f"input-reader-{n}", daemon=True) for n in range(threads)]
    for reader in readers:
        reader.start()
    try:
        running = len(readers)
        while running:
            item = waiting.get()
            if item is _END:
                running -= 1
            elif isinstance(item, _Failed):
                raise item.error
            else:
                yield item
    finally:
        stop.set()
        for reader in readers:
            reader.join()


async def iterate_in_thread(iterator: Iterator[T]) -> AsyncIterator[T]:
    """The items of a blocking iterator, each `next()` run in one thread of its own: the event loop stays free."""
    loop = asyncio.get_running_loop()
    executor = ThreadPoolExecutor(1, thread_name_prefix="file-source")
    try:
        while (item := await loop.run_in_executor(executor, next, iterator, _END)) is not _END:
            yield item
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            executor.submit(close)
        executor.shutdown(wait=False)
