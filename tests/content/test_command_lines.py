"""The pipeline's ffmpeg command lines as string assembly built them, captured to check that the graph
builds command lines that mean the same: same inputs and input options, same filters between the same
streams, same streams mapped to each output in the same order, same per-output options, same global options.

Read back with `tests.content.ffmpeg_argv.parse`, which ignores what ffmpeg ignores: option order within an
input or output, output order, where global options stand, filter labels and how filters group into chains.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from flmnchll.media import encode, process, thumbnails
from flmnchll.media.encode import EncoderSettings
from flmnchll.media.ladder import Rendition, plan
from flmnchll.media.probe import MediaInfo
from flmnchll.media.subtitles import extract_args
from tests.content.ffmpeg_argv import parse
from tests.content.test_ladder import info

FILM = info(1920, 1080, video_codec="mpeg4", video_profile="", duration=20.6)  # stereo AAC LC: copied into mp4
SURROUND = info(1920, 1080, audio_codec="ac3", audio_profile="", audio_channels=6)
SILENT = info(1280, 720, audio_index=None, audio_codec="", audio_channels=0)
SETTINGS = EncoderSettings(threads=2)


def hls(source: str, info: MediaInfo, renditions: list[Rendition]) -> list[str]:
    outputs = [(r, Path(f"/work/.work-stage/{r.stream}")) for r in renditions]
    return encode.command(source, info, outputs, SETTINGS)


def built(name: str) -> list[str]:
    ladder = plan(FILM)
    cases = {
        "transcode-1080": lambda: hls("/up/film.mov", FILM, list(ladder.source)),
        "downscale-720-480": lambda: hls("/up/film.mov", FILM, [r for group in ladder.lower for r in group]),
        "ladder-surround": lambda: hls("/up/surround.mkv", SURROUND, list(plan(SURROUND).all)),
        "silent-720": lambda: hls("/up/silent.mp4", SILENT, list(plan(SILENT).all)),
        "progressive-mp4": lambda: encode.progressive_args(Path("/w/480p-h264.mp4"), "mp4", Path("/w/480p.mp4")),
        "progressive-webm": lambda: encode.progressive_args(Path("/w/480p-vp9.mp4"), "webm", Path("/w/480p.webm")),
        "poster": lambda: thumbnails.poster_args("/m/480p.mp4", 20.6, "/w/poster.jpg"),
        "sprite-short": lambda: thumbnails.sprite_args("/m/480p.mp4", thumbnails.sprite_layout(20.6, 854, 480),
                                                       "/w/sprite.jpg"),
        "sprite-long": lambda: thumbnails.sprite_args("/m/480p.mp4", thumbnails.sprite_layout(5400, 854, 480),
                                                      "/w/sprite.jpg"),
        "subtitles": lambda: extract_args("/up/film.mkv", [(2, "/w/sub-en.vtt"), (3, "/w/sub-fr.vtt")]),
    }
    return ["ffmpeg", *cases[name]()]


def run(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What the runner starts for the poster's command line."""
    started: list[list[str]] = []

    def record(argv: list[str], **_: object) -> None:
        started.append(argv)
        raise InterruptedError

    monkeypatch.setattr(process.subprocess, "Popen", record)
    with pytest.raises(InterruptedError):
        process.run_ffmpeg(thumbnails.poster_args("/m/480p.mp4", 20.6, "/w/poster.jpg"), duration=1, timeout=5,
                           program="/opt/ffmpeg")
    return started[0]


CAPTURED = {'downscale-720-480': ['-i', '/up/film.mov', '-filter_complex',
                       '[0:0]scale=1280:720:flags=bicubic,setsar=1,format=yuv420p,split=3[v2][v3][s0];[s0]scale=854:480:flags=bicubic,setsar=1,format=yuv420p,split=2[v0][v1]',
                       '-map', '[v0]', '-map', '0:1', '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v',
                       'high', '-pix_fmt', 'yuv420p', '-crf', '23', '-maxrate', '1333k', '-bufsize', '2667k',
                       '-sc_threshold', '0', '-force_key_frames',
                       'expr:gte(t,if(lt(n_forced,2),n_forced*1,(n_forced-1)*2))', '-threads:v', '2', '-c:a',
                       'copy', '-map_metadata', '-1', '-map_chapters', '-1', '-f', 'hls', '-hls_init_time', '1',
                       '-hls_time', '2', '-hls_playlist_type', 'event', '-hls_segment_type', 'fmp4',
                       '-hls_fmp4_init_filename', 'init.mp4', '-hls_segment_filename',
                       '/work/.work-stage/480p-h264/seg-%05d.m4s', '-hls_flags', 'temp_file+independent_segments',
                       '-master_pl_name', 'variant.m3u8', '/work/.work-stage/480p-h264/index.m3u8', '-map', '[v1]',
                       '-map', '0:1', '-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-row-mt',
                       '1', '-tile-columns', '1', '-frame-parallel', '0', '-pix_fmt', 'yuv420p', '-b:v', '889k',
                       '-maxrate', '1333k', '-bufsize', '2667k', '-g', '9999', '-keyint_min', '9999',
                       '-force_key_frames', 'expr:gte(t,if(lt(n_forced,2),n_forced*1,(n_forced-1)*2))',
                       '-threads:v', '2', '-c:a', 'libopus', '-b:a', '96k', '-map_metadata', '-1', '-map_chapters',
                       '-1', '-f', 'hls', '-hls_init_time', '1', '-hls_time', '2', '-hls_playlist_type', 'event',
                       '-hls_segment_type', 'fmp4', '-hls_fmp4_init_filename', 'init.mp4', '-hls_segment_filename',
                       '/work/.work-stage/480p-vp9/seg-%05d.m4s', '-hls_flags', 'temp_file+independent_segments',
                       '-master_pl_name', 'variant.m3u8', '/work/.work-stage/480p-vp9/index.m3u8', '-map', '[v2]',
                       '-map', '0:1', '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high', '-pix_fmt',
                       'yuv420p', '-crf', '23', '-maxrate', '2448k', '-bufsize', '4896k', '-sc_threshold', '0',
                       '-force_key_frames', 'expr:gte(t,if(lt(n_forced,2),n_forced*1,(n_forced-1)*2))',
                       '-threads:v', '2', '-c:a', 'copy', '-map_metadata', '-1', '-map_chapters', '-1', '-f', 'hls',
                       '-hls_init_time', '1', '-hls_time', '2', '-hls_playlist_type', 'event', '-hls_segment_type',
                       'fmp4', '-hls_fmp4_init_filename', 'init.mp4', '-hls_segment_filename',
                       '/work/.work-stage/720p-h264/seg-%05d.m4s', '-hls_flags', 'temp_file+independent_segments',
                       '-master_pl_name', 'variant.m3u8', '/work/.work-stage/720p-h264/index.m3u8', '-map', '[v3]',
                       '-map', '0:1', '-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-row-mt',
                       '1', '-tile-columns', '2', '-frame-parallel', '0', '-pix_fmt', 'yuv420p', '-b:v', '1632k',
                       '-maxrate', '2448k', '-bufsize', '4896k', '-g', '9999', '-keyint_min', '9999',
                       '-force_key_frames', 'expr:gte(t,if(lt(n_forced,2),n_forced*1,(n_forced-1)*2))',
                       '-threads:v', '2', '-c:a', 'libopus', '-b:a', '96k', '-map_metadata', '-1', '-map_chapters',
                       '-1', '-f', 'hls', '-hls_init_time', '1', '-hls_time', '2', '-hls_playlist_type', 'event',
                       '-hls_segment_type', 'fmp4', '-hls_fmp4_init_filename', 'init.mp4', '-hls_segment_filename',
                       '/work/.work-stage/720p-vp9/seg-%05d.m4s', '-hls_flags', 'temp_file+independent_segments',
                       '-master_pl_name', 'variant.m3u8', '/work/.work-stage/720p-vp9/index.m3u8'],
 'ladder-surround': ['-i', '/up/surround.mkv', '-filter_complex',
                     '[0:0]scale=1920:1080:flags=bicubic,setsar=1,format=yuv420p,split=3[v0][v1][s0];[s0]scale=1280:720:flags=bicubic,setsar=1,format=yuv420p,split=3[v4][v5][s1];[s1]scale=854:480:flags=bicubic,setsar=1,format=yuv420p,split=2[v2][v3]',
                     '-map', '[v0]', '-map', '0:1', '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high',
                     '-pix_fmt', 'yuv420p', '-crf', '23', '-maxrate', '4500k', '-bufsize', '9000k', '-sc_threshold',
                     '0', '-force_key_frames', 'expr:gte(t,if(lt(n_forced,2),n_forced*1,(n_forced-1)*2))',
                     '-threads:v', '2', '-c:a', 'aac', '-b:a', '128k', '-ac', '2', '-map_metadata', '-1',
                     '-map_chapters', '-1', '-f', 'hls', '-hls_init_time', '1', '-hls_time', '2',
                     '-hls_playlist_type', 'event', '-hls_segment_type', 'fmp4', '-hls_fmp4_init_filename',
                     'init.mp4', '-hls_segment_filename', '/work/.work-stage/1080p-h264/seg-%05d.m4s', '-hls_flags',
                     'temp_file+independent_segments', '-master_pl_name', 'variant.m3u8',
                     '/work/.work-stage/1080p-h264/index.m3u8', '-map', '[v1]', '-map', '0:1', '-c:v', 'libvpx-vp9',
                     '-deadline', 'realtime', '-cpu-used', '8', '-row-mt', '1', '-tile-columns', '2',
                     '-frame-parallel', '0', '-pix_fmt', 'yuv420p', '-b:v', '3000k', '-maxrate', '4500k',
                     '-bufsize', '9000k', '-g', '9999', '-keyint_min', '9999', '-force_key_frames',
                     'expr:gte(t,if(lt(n_forced,2),n_forced*1,(n_forced-1)*2))', '-threads:v', '2', '-c:a',
                     'libopus', '-b:a', '96k', '-ac', '2', '-map_metadata', '-1', '-map_chapters', '-1', '-f',
                     'hls', '-hls_init_time', '1', '-hls_time', '2', '-hls_playlist_type', 'event',
                     '-hls_segment_type', 'fmp4', '-hls_fmp4_init_filename', 'init.mp4', '-hls_segment_filename',
                     '/work/.work-stage/1080p-vp9/seg-%05d.m4s', '-hls_flags', 'temp_file+independent_segments',
                     '-master_pl_name', 'variant.m3u8', '/work/.work-stage/1080p-vp9/index.m3u8', '-map', '[v2]',
                     '-map', '0:1', '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high', '-pix_fmt',
                     'yuv420p', '-crf', '23', '-maxrate', '1333k', '-bufsize', '2667k', '-sc_threshold', '0',
                     '-force_key_frames', 'expr:gte(t,if(lt(n_forced,2),n_forced*1,(n_forced-1)*2))', '-threads:v',
                     '2', '-c:a', 'aac', '-b:a', '128k', '-ac', '2', '-map_metadata', '-1', '-map_chapters', '-1',
                     '-f', 'hls', '-hls_init_time', '1', '-hls_time', '2', '-hls_playlist_type', 'event',
                     '-hls_segment_type', 'fmp4', '-hls_fmp4_init_filename', 'init.mp4', '-hls_segment_filename',
                     '/work/.work-stage/480p-h264/seg-%05d.m4s', '-hls_flags', 'temp_file+independent_segments',
                     '-master_pl_name', 'variant.m3u8', '/work/.work-stage/480p-h264/index.m3u8', '-map', '[v3]',
                     '-map', '0:1', '-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-row-mt', '1',
                     '-tile-columns', '1', '-frame-parallel', '0', '-pix_fmt', 'yuv420p', '-b:v', '889k',
                     '-maxrate', '1333k', '-bufsize', '2667k', '-g', '9999', '-keyint_min', '9999',
                     '-force_key_frames', 'expr:gte(t,if(lt(n_forced,2),n_forced*1,(n_forced-1)*2))', '-threads:v',
                     '2', '-c:a', 'libopus', '-b:a', '96k', '-ac', '2', '-map_metadata', '-1', '-map_chapters',
                     '-1', '-f', 'hls', '-hls_init_time', '1', '-hls_time', '2', '-hls_playlist_type', 'event',
                     '-hls_segment_type', 'fmp4', '-hls_fmp4_init_filename', 'init.mp4', '-hls_segment_filename',
                     '/work/.work-stage/480p-vp9/seg-%05d.m4s', '-hls_flags', 'temp_file+independent_segments',
                     '-master_pl_name', 'variant.m3u8', '/work/.work-stage/480p-vp9/index.m3u8', '-map', '[v4]',
                     '-map', '0:1', '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high', '-pix_fmt',
                     'yuv420p', '-crf', '23', '-maxrate', '2448k', '-bufsize', '4896k', '-sc_threshold', '0',
                     '-force_key_frames', 'expr:gte(t,if(lt(n_forced,2),n_forced*1,(n_forced-1)*2))', '-threads:v',
                     '2', '-c:a', 'aac', '-b:a', '128k', '-ac', '2', '-map_metadata', '-1', '-map_chapters', '-1',
                     '-f', 'hls', '-hls_init_time', '1', '-hls_time', '2', '-hls_playlist_type', 'event',
                     '-hls_segment_type', 'fmp4', '-hls_fmp4_init_filename', 'init.mp4', '-hls_segment_filename',
                     '/work/.work-stage/720p-h264/seg-%05d.m4s', '-hls_flags', 'temp_file+independent_segments',
                     '-master_pl_name', 'variant.m3u8', '/work/.work-stage/720p-h264/index.m3u8', '-map', '[v5]',
                     '-map', '0:1', '-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-row-mt', '1',
                     '-tile-columns', '2', '-frame-parallel', '0', '-pix_fmt', 'yuv420p', '-b:v', '1632k',
                     '-maxrate', '2448k', '-bufsize', '4896k', '-g', '9999', '-keyint_min', '9999',
                     '-force_key_frames', 'expr:gte(t,if(lt(n_forced,2),n_forced*1,(n_forced-1)*2))', '-threads:v',
                     '2', '-c:a', 'libopus', '-b:a', '96k', '-ac', '2', '-map_metadata', '-1', '-map_chapters',
                     '-1', '-f', 'hls', '-hls_init_time', '1', '-hls_time', '2', '-hls_playlist_type', 'event',
                     '-hls_segment_type', 'fmp4', '-hls_fmp4_init_filename', 'init.mp4', '-hls_segment_filename',
                     '/work/.work-stage/720p-vp9/seg-%05d.m4s', '-hls_flags', 'temp_file+independent_segments',
                     '-master_pl_name', 'variant.m3u8', '/work/.work-stage/720p-vp9/index.m3u8'],
 'poster': ['-ss', '5.150', '-i', '/m/480p.mp4', '-frames:v', '1', '-q:v', '3', '-f', 'image2', '-update', '1',
            '/w/poster.jpg'],
 'progressive-mp4': ['-i', '/w/480p-h264.mp4', '-map', '0', '-c', 'copy', '-map_metadata', '-1', '-movflags',
                     '+faststart', '-f', 'mp4', '/w/480p.mp4'],
 'progressive-webm': ['-i', '/w/480p-vp9.mp4', '-map', '0', '-c', 'copy', '-map_metadata', '-1', '-cues_to_front',
                      '1', '-f', 'webm', '/w/480p.webm'],
 'runner': ['/opt/ffmpeg', '-hide_banner', '-nostdin', '-y', '-loglevel', 'error', '-nostats', '-progress',
            'pipe:1', '-ss', '5.150', '-i', '/m/480p.mp4', '-frames:v', '1', '-q:v', '3', '-f', 'image2', '-update',
            '1', '/w/poster.jpg'],
 'silent-720': ['-i', '/up/silent.mp4', '-filter_complex',
                '[0:0]scale=1280:720:flags=bicubic,setsar=1,format=yuv420p,split=3[v0][v1][s0];[s0]scale=854:480:flags=bicubic,setsar=1,format=yuv420p,split=2[v2][v3]',
                '-map', '[v0]', '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high', '-pix_fmt',
                'yuv420p', '-crf', '23', '-maxrate', '2448k', '-bufsize', '4896k', '-sc_threshold', '0',
                '-force_key_frames', 'expr:gte(t,if(lt(n_forced,2),n_forced*1,(n_forced-1)*2))', '-threads:v', '2',
                '-map_metadata', '-1', '-map_chapters', '-1', '-f', 'hls', '-hls_init_time', '1', '-hls_time', '2',
                '-hls_playlist_type', 'event', '-hls_segment_type', 'fmp4', '-hls_fmp4_init_filename', 'init.mp4',
                '-hls_segment_filename', '/work/.work-stage/720p-h264/seg-%05d.m4s', '-hls_flags',
                'temp_file+independent_segments', '-master_pl_name', 'variant.m3u8',
                '/work/.work-stage/720p-h264/index.m3u8', '-map', '[v1]', '-c:v', 'libvpx-vp9', '-deadline',
                'realtime', '-cpu-used', '8', '-row-mt', '1', '-tile-columns', '2', '-frame-parallel', '0',
                '-pix_fmt', 'yuv420p', '-b:v', '1632k', '-maxrate', '2448k', '-bufsize', '4896k', '-g', '9999',
                '-keyint_min', '9999', '-force_key_frames',
                'expr:gte(t,if(lt(n_forced,2),n_forced*1,(n_forced-1)*2))', '-threads:v', '2', '-map_metadata',
                '-1', '-map_chapters', '-1', '-f', 'hls', '-hls_init_time', '1', '-hls_time', '2',
                '-hls_playlist_type', 'event', '-hls_segment_type', 'fmp4', '-hls_fmp4_init_filename', 'init.mp4',
                '-hls_segment_filename', '/work/.work-stage/720p-vp9/seg-%05d.m4s', '-hls_flags',
                'temp_file+independent_segments', '-master_pl_name', 'variant.m3u8',
                '/work/.work-stage/720p-vp9/index.m3u8', '-map', '[v2]', '-c:v', 'libx264', '-preset', 'veryfast',
                '-profile:v', 'high', '-pix_fmt', 'yuv420p', '-crf', '23', '-maxrate', '1333k', '-bufsize', '2667k',
                '-sc_threshold', '0', '-force_key_frames',
                'expr:gte(t,if(lt(n_forced,2),n_forced*1,(n_forced-1)*2))', '-threads:v', '2', '-map_metadata',
                '-1', '-map_chapters', '-1', '-f', 'hls', '-hls_init_time', '1', '-hls_time', '2',
                '-hls_playlist_type', 'event', '-hls_segment_type', 'fmp4', '-hls_fmp4_init_filename', 'init.mp4',
                '-hls_segment_filename', '/work/.work-stage/480p-h264/seg-%05d.m4s', '-hls_flags',
                'temp_file+independent_segments', '-master_pl_name', 'variant.m3u8',
                '/work/.work-stage/480p-h264/index.m3u8', '-map', '[v3]', '-c:v', 'libvpx-vp9', '-deadline',
                'realtime', '-cpu-used', '8', '-row-mt', '1', '-tile-columns', '1', '-frame-parallel', '0',
                '-pix_fmt', 'yuv420p', '-b:v', '889k', '-maxrate', '1333k', '-bufsize', '2667k', '-g', '9999',
                '-keyint_min', '9999', '-force_key_frames',
                'expr:gte(t,if(lt(n_forced,2),n_forced*1,(n_forced-1)*2))', '-threads:v', '2', '-map_metadata',
                '-1', '-map_chapters', '-1', '-f', 'hls', '-hls_init_time', '1', '-hls_time', '2',
                '-hls_playlist_type', 'event', '-hls_segment_type', 'fmp4', '-hls_fmp4_init_filename', 'init.mp4',
                '-hls_segment_filename', '/work/.work-stage/480p-vp9/seg-%05d.m4s', '-hls_flags',
                'temp_file+independent_segments', '-master_pl_name', 'variant.m3u8',
                '/work/.work-stage/480p-vp9/index.m3u8'],
 'sprite-long': ['-skip_frame', 'nokey', '-i', '/m/480p.mp4', '-an', '-sn', '-vf',
                 'fps=1/54.0,scale=160:90,tile=10x10', '-frames:v', '1', '-q:v', '5', '-f', 'image2', '-update',
                 '1', '/w/sprite.jpg'],
 'sprite-short': ['-i', '/m/480p.mp4', '-an', '-sn', '-vf', 'fps=1/1.0,scale=160:90,tile=10x3', '-frames:v', '1',
                  '-q:v', '5', '-f', 'image2', '-update', '1', '/w/sprite.jpg'],
 'subtitles': ['-i', '/up/film.mkv', '-map', '0:2', '-c:s', 'webvtt', '-f', 'webvtt', '/w/sub-en.vtt', '-map',
               '0:3', '-c:s', 'webvtt', '-f', 'webvtt', '/w/sub-fr.vtt'],
 'transcode-1080': ['-i', '/up/film.mov', '-filter_complex',
                    '[0:0]scale=1920:1080:flags=bicubic,setsar=1,format=yuv420p,split=2[v0][v1]', '-map', '[v0]',
                    '-map', '0:1', '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high', '-pix_fmt',
                    'yuv420p', '-crf', '23', '-maxrate', '4500k', '-bufsize', '9000k', '-sc_threshold', '0',
                    '-force_key_frames', 'expr:gte(t,if(lt(n_forced,2),n_forced*1,(n_forced-1)*2))', '-threads:v',
                    '2', '-c:a', 'copy', '-map_metadata', '-1', '-map_chapters', '-1', '-f', 'hls',
                    '-hls_init_time', '1', '-hls_time', '2', '-hls_playlist_type', 'event', '-hls_segment_type',
                    'fmp4', '-hls_fmp4_init_filename', 'init.mp4', '-hls_segment_filename',
                    '/work/.work-stage/1080p-h264/seg-%05d.m4s', '-hls_flags', 'temp_file+independent_segments',
                    '-master_pl_name', 'variant.m3u8', '/work/.work-stage/1080p-h264/index.m3u8', '-map', '[v1]',
                    '-map', '0:1', '-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-row-mt', '1',
                    '-tile-columns', '2', '-frame-parallel', '0', '-pix_fmt', 'yuv420p', '-b:v', '3000k',
                    '-maxrate', '4500k', '-bufsize', '9000k', '-g', '9999', '-keyint_min', '9999',
                    '-force_key_frames', 'expr:gte(t,if(lt(n_forced,2),n_forced*1,(n_forced-1)*2))', '-threads:v',
                    '2', '-c:a', 'libopus', '-b:a', '96k', '-map_metadata', '-1', '-map_chapters', '-1', '-f',
                    'hls', '-hls_init_time', '1', '-hls_time', '2', '-hls_playlist_type', 'event',
                    '-hls_segment_type', 'fmp4', '-hls_fmp4_init_filename', 'init.mp4', '-hls_segment_filename',
                    '/work/.work-stage/1080p-vp9/seg-%05d.m4s', '-hls_flags', 'temp_file+independent_segments',
                    '-master_pl_name', 'variant.m3u8', '/work/.work-stage/1080p-vp9/index.m3u8']}


@pytest.mark.parametrize("name", sorted(set(CAPTURED) - {"runner"}))
def test_command_line_means_what_it_meant(name: str) -> None:
    assert parse(built(name)) == parse(["ffmpeg", *CAPTURED[name]])


def test_runner_adds_the_same_global_options(monkeypatch: pytest.MonkeyPatch) -> None:
    assert parse(run(monkeypatch)) == parse(CAPTURED["runner"])
