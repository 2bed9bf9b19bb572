"""An ffmpeg command line read back into what ffmpeg makes of it: inputs, the streams each output takes (a
filter graph's output named by the filters it went through, not by its label) and each output's options.

Two command lines that read back equal make the same files: the order of options within an input or an
output, the order of the outputs, where the global options stand, the labels and how filters are grouped into
chains are ffmpeg's business, not the result's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flmnchll.media import graph

#: options that take no value
FLAGS = {"hide_banner", "nostdin", "y", "n", "nostats", "an", "vn", "sn", "dn", "re"}
#: options about the whole run rather than one input or output
#: muxers that take no audio, so ffmpeg picks none
AUDIOLESS = {"image2", "webvtt"}
GLOBAL = {"hide_banner", "nostdin", "y", "n", "loglevel", "v", "nostats", "progress", "stats_period"}
_LABEL = re.compile(r"\[([^\]]*)\]")
_FILTER = re.compile(r"(?P<ins>(?:\[[^\]]*\])*)(?P<body>[^\[]*)(?P<outs>(?:\[[^\]]*\])*)")


@dataclass(frozen=True)
class Term:
    """A stream by what made it: an input's stream (`input`, its specifier such as `0:1`), or a filter's output
    (its name, arguments and the terms of its inputs). A split's outputs are all one picture: `split`, no
    arguments, whatever their position."""

    name: str
    arguments: str
    sources: tuple[Term, ...] = ()

    def lineage(self) -> list[Term]:
        """The filters the stream went through after the input stream it came from (splits left out)."""
        steps: list[Term] = []
        term = self
        while term.name != "input":
            if term.name != "split":
                steps.append(term)
            term = term.sources[0]
        return [term, *reversed(steps)]


@dataclass(frozen=True)
class Output:
    target: str
    streams: tuple[Term, ...]
    options: dict[str, str | None]


@dataclass
class Command:
    program: str
    options: dict[str, str | None] = field(default_factory=dict)
    inputs: list[tuple[str, dict[str, str | None]]] = field(default_factory=list)
    outputs: dict[str, Output] = field(default_factory=dict)

    def output(self, target: str) -> Output:
        return self.outputs[target]


def _split(text: str, separator: str) -> list[str]:
    """`text` cut at `separator`, except where it is escaped or inside brackets."""
    parts, current, depth, escaped = [], "", 0, False
    for char in text:
        if escaped:
            current, escaped = current + char, False
        elif char == "\\":
            current, escaped = current + char, True
        elif char == separator and depth == 0:
            parts.append(current)
            current = ""
        else:
            depth += {"[": 1, "]": -1}.get(char, 0)
            current += char
    return [*parts, current]


def filter_terms(graph: str, default_input: str | None = None) -> dict[str, Term]:
    """Every output of a filter graph, by label, as the term of what made it (an unlabelled end of a chain is
    `#n`)."""
    made: dict[str, tuple[str, str, list[str]]] = {}
    unlabelled = 0
    for chain in _split(graph, ";"):
        previous = [default_input] if default_input is not None else []
        for text in _split(chain.strip(), ","):
            parts = _FILTER.fullmatch(text.strip())
            assert parts is not None, text
            ins = _LABEL.findall(parts["ins"]) or previous
            outs = _LABEL.findall(parts["outs"])
            if not outs:
                unlabelled += 1
                outs = [f"#{unlabelled}"]
            name, _, arguments = parts["body"].partition("=")
            made.update({label: (name, arguments, ins) for label in outs})
            previous = outs

    def term(label: str) -> Term:
        if label not in made:
            return Term("input", label)
        name, arguments, ins = made[label]
        return Term(name, "" if name == "split" else arguments, tuple(term(i) for i in ins))

    return {label: term(label) for label in made}


def parse(argv: list[str]) -> Command:
    command = Command(program=argv[0])
    pending: dict[str, str | None] = {}
    maps: list[str] = []
    graph: dict[str, Term] = {}
    labels: list[str] = []
    raw_outputs: list[tuple[str, list[str], dict[str, str | None]]] = []
    position = 1
    while position < len(argv):
        token = argv[position]
        position += 1
        if not token.startswith("-") or token == "-":
            raw_outputs.append((token, maps, pending))
            pending, maps = {}, []
            continue
        name = token[1:]
        value = None
        if name not in FLAGS:
            value = argv[position]
            position += 1
        if name in GLOBAL:
            command.options[name] = value
        elif name == "i":
            command.inputs.append((str(value), pending))
            pending = {}
        elif name == "filter_complex":
            graph = filter_terms(str(value))
            labels = _LABEL.findall(str(value))
        elif name == "map":
            maps.append(str(value))
        else:
            pending[name] = value
    assert not pending and not maps, f"options after the last output: {pending} {maps}"
    taken = labels + [spec.strip("[]") for _, mapped, _ in raw_outputs for spec in mapped if spec.startswith("[")]
    for label in (label for label in graph if not label.startswith("#")):
        assert taken.count(label) == 2, f"filter output [{label}] is not used exactly once"
    for target, mapped, options in raw_outputs:
        streams = [graph.get(spec.strip("[]"), Term("input", spec)) for spec in mapped]
        simple = options.pop("vf", None) or options.pop("filter:v", None)
        if not mapped:  # ffmpeg's own choice: the first video stream, the first audio unless turned off
            video = Term("input", "0:v:0")
            if simple is not None:
                chain = filter_terms(simple, default_input="0:v:0")
                video = chain[f"#{len(chain)}"]
            streams = [] if "vn" in options else [video]
            if "an" not in options and options.get("f") not in AUDIOLESS:
                streams.append(Term("input", "0:a:0"))
            for flag in ("vn", "an", "sn"):
                options.pop(flag, None)
        command.outputs[target] = Output(target, tuple(streams), options)
    return command


def read(command: graph.Command) -> Command:
    """A graph's command line, read back."""
    return parse(command.argv("ffmpeg"))

