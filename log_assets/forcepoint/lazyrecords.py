"""The records of a page read natively (`nativecsv.CsvRecords`, `nativejson.JsonRecords`): a sequence
whose length is known at once and whose records as dicts are made only if something asks for them
(the careful reader does, the native path does not)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any


class LazyRecords(Sequence):
    """A page's records, decoded by `_decode` on the first access to one of them; `__len__` is the
    subclass's, from what was read natively."""

    _records: list | None = None

    def _decode(self) -> list:
        raise NotImplementedError

    @property
    def materialized(self) -> bool:
        """Whether the records were made as dicts (the native path never asks for them)."""
        return self._records is not None

    def _list(self) -> list:
        if self._records is None:
            self._records = self._decode()
        return self._records

    def __getitem__(self, i) -> Any:
        return self._list()[i]

    def __iter__(self) -> Iterator:
        return iter(self._list())

    def __eq__(self, other: object) -> bool:
        return list(self) == list(other) if isinstance(other, Sequence) else NotImplemented

    __hash__ = None  # type: ignore[assignment]
