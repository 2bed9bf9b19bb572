"""ffprobe/ffmpeg helpers: probing, the rendition ladder, encoder settings, progress and process control.

Nothing here knows about the catalog, queues or HTTP; the workers and the benchmark compose these pieces.
"""
