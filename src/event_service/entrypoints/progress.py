"""A progress bar on stderr for reading a file, drawn only when stderr is a terminal."""

from __future__ import annotations

import os
import threading
import time
from types import TracebackType
from typing import BinaryIO, TextIO

_WIDTH = 30


class FileProgress:
    """Redraws ``label [#####-----]  42%  1.2/2.9 MB  3.1 s`` while the file is read, from a background thread.

    It polls the file's position rather than wrapping its reads, so the readers (gzip, chunking, a thread pool)
    stay unaware of it. A stream that is not a terminal gets nothing: no bars in logs or pipes.
    """

    def __init__(self, file: BinaryIO, stream: TextIO, label: str, interval: float = 0.2) -> None:
        self._file = file
        self._stream = stream
        self._label = label
        self._interval = interval
        self._total = max(os.fstat(file.fileno()).st_size, 1)
        self._started = time.monotonic()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="progress", daemon=True)
        self.enabled = stream.isatty()

    def __enter__(self) -> FileProgress:
        if self.enabled:
            self._draw(0)
            self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if not self.enabled:
            return
        self._done.set()
        self._thread.join()
        # On success the whole file was read: say so even if the last poll came just before the end.
        self._draw(self._total if exc_type is None else self._position())
        self._stream.write("\n")
        self._stream.flush()

    def _position(self) -> int:
        # The descriptor's offset, not file.tell(): no lock shared with the thread that reads the file.
        return os.lseek(self._file.fileno(), 0, os.SEEK_CUR)

    def _run(self) -> None:
        while not self._done.wait(self._interval):
            self._draw(self._position())

    def _draw(self, position: int) -> None:
        fraction = min(position / self._total, 1.0)
        filled = round(fraction * _WIDTH)
        bar = "#" * filled + "-" * (_WIDTH - filled)
        megabytes = f"{position / 1e6:.1f}/{self._total / 1e6:.1f} MB"
        elapsed = time.monotonic() - self._started
        self._stream.write(f"\r{self._label} [{bar}] {fraction:4.0%}  {megabytes}  {elapsed:.1f} s")
        self._stream.flush()
