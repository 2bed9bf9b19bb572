"""ffmpeg commands as graphs: files read, filters, and the streams each written file takes, with its options.

The builders (`encode`, `thumbnails`, `subtitles`) say what flows where; ffmpeg-python turns that into
ffmpeg's argv (`-i`, `-filter_complex` with its labels, `-map`s, options), and the runner
(`flmnchll.media.process`) adds the options of the run itself and starts the pinned binary. This module is
ffmpeg-python's typed face, the one module that imports it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

# ffmpeg-python 0.2.0 ships no type information (pyproject lists it for mypy); the protocol below types what is used.
import ffmpeg

#: an option's value as ffmpeg reads it (written with str()); None for an option that takes no value
Value = str | int | float | None
Options = Mapping[str, Value]


class _Node(Protocol):
    """What this module uses of ffmpeg-python's streams and nodes."""

    def __getitem__(self, selector: str) -> _Node: ...

    def stream(self, label: int) -> _Node: ...

    def filter(self, name: str, *arguments: Value, **options: Value) -> _Node: ...

    def filter_multi_output(self, name: str) -> _Node: ...

    def global_args(self, *arguments: str) -> _Node: ...

    def compile(self, cmd: str, overwrite_output: bool) -> list[str]: ...


@dataclass(frozen=True)
class Stream:
    """A stream flowing through the graph: one of a file's streams, or what a filter makes of one."""

    node: _Node

    def filter(self, name: str, *arguments: Value, **options: Value) -> Stream:
        """The stream through filter `name` (`name=arg:arg:key=value` in ffmpeg's graph syntax)."""
        return Stream(self.node.filter(name, *arguments, **options))

    def split(self, count: int) -> list[Stream]:
        """`count` copies of the stream, for as many consumers: a filter's output feeds only one."""
        if count == 1:
            return [self]
        copies = self.node.filter_multi_output("split")
        return [Stream(copies.stream(position)) for position in range(count)]


@dataclass(frozen=True)
class Input:
    """A file the command reads."""

    node: _Node

    def stream(self, selector: str | int) -> Stream:
        """One or more of its streams, by ffmpeg's stream specifier: an index, `v`, `a:0`, `a?` (if any)."""
        return Stream(self.node[str(selector)])


@dataclass(frozen=True)
class Output:
    """A file the command writes: the streams it takes, in order, and its options."""

    node: _Node


@dataclass(frozen=True)
class Command:
    """Every output of one ffmpeg run, and through them the inputs and filters they need."""

    node: _Node

    def argv(self, program: str, run_options: Iterable[str] = (), overwrite: bool = False) -> list[str]:
        """The command line for `program`. `run_options` are global options (they hold wherever they stand:
        ffmpeg-python writes them last); `overwrite` replaces existing outputs (`-y`)."""
        return self.node.global_args(*run_options).compile(cmd=program, overwrite_output=overwrite)


def source(path: Path | str, options: Options | None = None) -> Input:
    """A file to read; `options` apply to reading it (ffmpeg's input options, written before its `-i`)."""
    return Input(ffmpeg.input(str(path), **(options or {})))


def output(streams: Sequence[Stream], target: Path | str, options: Options) -> Output:
    """A file to write from `streams` (each `-map`ped, in order) with `options` (`f` names the muxer)."""
    return Output(ffmpeg.output(*(stream.node for stream in streams), str(target), **options))


def command(outputs: Sequence[Output]) -> Command:
    """One ffmpeg run writing every output (sharing its inputs and filters)."""
    return Command(ffmpeg.merge_outputs(*(out.node for out in outputs)))
