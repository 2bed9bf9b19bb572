"""Publishing HLS streams while ffmpeg writes them, so an item plays seconds after its job starts.

A publisher thread looks at the job's stream folders four times a second. ffmpeg writes every segment and
playlist aside and renames it when whole (`temp_file`), so whatever a playlist lists is complete: the
publisher hands the init segment and each new segment to the media storage (a copy into `MEDIA_DIR` locally,
an upload on S3), then the playlist itself, so a published playlist never names a missing segment. The first
time a stream has a segment it tells the content manager (`stream` event: codecs, size, bandwidth), which
lists the stream in the item's master playlist and makes the item playable; the last sweep, after ffmpeg
ends, reports each stream complete with its measured bandwidth.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from flmnchll import storage
from flmnchll.media import encode, hls
from flmnchll.media.errors import EncodeError
from flmnchll.media.ladder import Rendition
from flmnchll.media.probe import MediaInfo
from workers.report import Reporter

log = logging.getLogger("workers")

SWEEP_SECONDS = 0.25
#: How often a running job asks the content manager whether its item is still wanted (deleted or re-processed
#: items stop their encode instead of publishing segments nobody will see).
CHECK_IN_SECONDS = 5.0


def stream_key(content_id: str, rendition: Rendition, name: str) -> str:
    return f"{content_id}/{hls.ROOT}/{rendition.stream}/{name}"


def nominal_bandwidth(rendition: Rendition, info: MediaInfo, settings: encode.EncoderSettings) -> int:
    """Bits per second a stream is not meant to exceed: its VBV ceiling plus its audio."""
    audio = 0
    if rendition.audio and info.audio_index is not None:
        audio = settings.audio_aac_kbps if rendition.container == "mp4" else settings.audio_opus_kbps
    return int((encode.video_kbps(rendition) * 1.5 + audio) * 1000)


class StreamPublisher:
    """Publishes the streams of one ffmpeg run as they grow; `error` holds what stopped it, if anything."""

    def __init__(self, reporter: Reporter, info: MediaInfo, outputs: Sequence[tuple[Rendition, Path]],
                 settings: encode.EncoderSettings | None = None, on_first: Callable[[], None] | None = None) -> None:
        self.reporter = reporter
        self.on_first = on_first
        self.info = info
        self.outputs = list(outputs)
        self.settings = settings or encode.EncoderSettings()
        self.store = storage.media()
        self.published: dict[str, set[str]] = {r.stream: set() for r, _ in self.outputs}
        self.playlists: dict[str, str] = {}
        self.announced: set[str] = set()
        self.error: BaseException | None = None
        self.percent = 0.0
        self.started = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stream-publisher", daemon=True)

    def __enter__(self) -> StreamPublisher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        checked = time.monotonic()
        while not self._stop.wait(SWEEP_SECONDS):
            try:
                self.sweep()
                if time.monotonic() - checked >= CHECK_IN_SECONDS:
                    checked = time.monotonic()
                    self.reporter.event("progress", percent=self.percent)  # raises Cancelled when unwanted
            except BaseException as exc:  # handed to the job, which stops ffmpeg on its next progress report
                self.error = exc
                return

    def check(self) -> None:
        """Raise what stopped the publisher (called from ffmpeg's progress reports, so ffmpeg stops too)."""
        if self.error is not None:
            raise self.error

    def sweep(self, final: bool = False) -> list[dict[str, Any]]:
        """Publish what is new in every stream; on the final sweep each must be complete. Returns the
        descriptions announced on this sweep."""
        announced = []
        for rendition, folder in self.outputs:
            playlist = written_playlist(folder)
            if final and not hls.ended(playlist):
                raise EncodeError(f"the {rendition.stream} stream did not end properly")
            listed = hls.segments(playlist)
            if not listed:
                if final:
                    raise EncodeError(f"the {rendition.stream} stream has no segment")
                continue
            done = self.published[rendition.stream]
            for name in [hls.map_uri(playlist) or encode.INIT_NAME, *(s.uri for s in listed)]:
                if name not in done:
                    self.store.put_file(stream_key(self.reporter.content_id, rendition, name), folder / name)
                    done.add(name)
            if self.playlists.get(rendition.stream) != playlist:
                self.store.put_bytes(stream_key(self.reporter.content_id, rendition, hls.PLAYLIST),
                                     playlist.encode(), hls.MIME)
                self.playlists[rendition.stream] = playlist
            if final or rendition.stream not in self.announced:
                described = self.describe(rendition, folder, playlist, complete=final)
                if described is None:
                    if final:
                        raise EncodeError(f"ffmpeg wrote no codecs for the {rendition.stream} stream")
                    continue  # ffmpeg has not written the stream's codecs yet: next sweep
                self.reporter.event("stream", stream=described)
                first = not self.announced
                self.announced.add(rendition.stream)
                announced.append(described)
                if first:
                    log.info("content %s: %s playable %.1f s after its encode started", self.reporter.content_id,
                             rendition.stream, time.monotonic() - self.started)
                    if self.on_first is not None:
                        self.on_first()
        return announced

    def describe(self, rendition: Rendition, folder: Path, playlist: str, complete: bool) -> dict[str, Any] | None:
        variant = folder / encode.VARIANT_NAME
        if not variant.is_file():
            return None
        attributes = hls.variant_attributes(variant.read_text())
        if not attributes.get("CODECS"):
            return None
        listed = hls.segments(playlist)
        sizes = {s.uri: (folder / s.uri).stat().st_size for s in listed if (folder / s.uri).is_file()}
        peak, average = hls.peak_and_average(playlist, sizes)
        if not complete:  # one segment says little of the peak to come: promise the encoder's ceiling
            peak = max(peak, nominal_bandwidth(rendition, self.info, self.settings))
        return {"name": rendition.stream, "rendition": rendition.name, "container": rendition.container,
                "rung": rendition.rung, "width": rendition.width, "height": rendition.height,
                "codecs": attributes["CODECS"], "bandwidth": peak, "average_bandwidth": average,
                "frame_rate": self.info.frame_rate or None, "segments": len(listed),
                "duration": round(sum(s.duration for s in listed), 3), "complete": complete}


def written_playlist(folder: Path) -> str:
    """The playlist ffmpeg has written in `folder` so far ("" before its first segment), with the stream's
    target duration."""
    try:
        return hls.with_target_duration((folder / encode.PLAYLIST_NAME).read_text(), encode.SEGMENT_SECONDS)
    except FileNotFoundError:
        return ""


def join_segments(folder: Path, playlist: str, target: Path) -> Path:
    """The stream as one fragmented MP4 (its init segment, then every media segment): what ffmpeg remuxes
    into a progressive file and ffprobe checks."""
    with target.open("wb") as out:
        for name in [hls.map_uri(playlist) or encode.INIT_NAME, *(s.uri for s in hls.segments(playlist))]:
            out.write((folder / name).read_bytes())
    return target


def published_stream(content_id: str, rendition: Rendition, target: Path) -> Path:
    """A published stream joined into one fragmented MP4 at `target` (read from the media storage)."""
    store = storage.media()
    playlist = store.get_bytes(stream_key(content_id, rendition, hls.PLAYLIST)).decode()
    with target.open("wb") as out:
        for name in [hls.map_uri(playlist) or encode.INIT_NAME, *(s.uri for s in hls.segments(playlist))]:
            out.write(store.get_bytes(stream_key(content_id, rendition, name)))
    return target
