"""Cover art at 3000 x 3000 pixels: a given image cropped and resized, or one drawn from the music.

Stores ask for a square RGB image of 3000 x 3000 pixels. A given image is centre-cropped
to a square and resized with Lanczos filtering; images smaller than 1400 pixels on the
short side are enlarged with a note, because they will look soft.

Without an image, :func:`generate_cover` paints one from the track's own analysis: the
colours come from its spectral balance (hue from the spectral centroid, darker for
bass-heavy music), rings of bars from its long-term spectrum, and a ring from its
short-term loudness over time; the title and artist are set in DejaVu Sans, the font
matplotlib ships (nothing is fetched).
"""

from __future__ import annotations

import colorsys
import math
import os
from pathlib import Path

import matplotlib
import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont, UnidentifiedImageError

from bandmate.release.metadata import ReleaseError

SIZE = 3000
MIN_SOURCE_PIXELS = 1400
MAX_SOURCE_PIXELS = 40_000_000
"""Largest accepted source image (pixels): anything bigger is refused before decoding."""
JPEG_QUALITY = 92


def _font(bold: bool, size: int) -> ImageFont.FreeTypeFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name
    return ImageFont.truetype(str(path), size)


def prepare_cover(path: str | os.PathLike[str]) -> tuple[Image.Image, list[str]]:
    """Load an image and make it a 3000 x 3000 RGB cover.

    Args:
        path: A JPEG, PNG or other image Pillow reads.

    Returns:
        The cover and notes for the user (e.g. that a small image was enlarged).

    Raises:
        ReleaseError: when the file is missing, not an image, or larger than 40 megapixels.
    """
    source = Path(path)
    if not source.is_file():
        raise ReleaseError(f"cover image {os.fspath(source)!r} does not exist")
    try:
        with Image.open(source) as opened:
            width, height = opened.size
            if width * height > MAX_SOURCE_PIXELS:
                raise ReleaseError(
                    f"cover image is {width} x {height} pixels; must be at most "
                    f"{MAX_SOURCE_PIXELS // 1_000_000} megapixels"
                )
            image = opened.convert("RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise ReleaseError(f"cannot read cover image {os.fspath(source)!r}: {exc}") from exc
    notes = []
    side = min(width, height)
    if side < MIN_SOURCE_PIXELS:
        notes.append(
            f"The cover image is {width} x {height} pixels; it was enlarged to {SIZE} x {SIZE} "
            "and may look soft (stores prefer a 3000-pixel original)."
        )
    left, top = (width - side) // 2, (height - side) // 2
    if width != height:
        notes.append(f"The cover image was cropped to its centre square ({side} x {side}).")
    square = image.crop((left, top, left + side, top + side))
    return square.resize((SIZE, SIZE), Image.Resampling.LANCZOS), notes


def generate_cover(
    spectrum_db: NDArray[np.float64],
    frequencies_hz: NDArray[np.float64],
    short_term_lufs: NDArray[np.float64],
    *,
    title: str,
    artist: str,
) -> Image.Image:
    """Draw a cover from a track's analysis.

    Args:
        spectrum_db: Long-term spectrum band levels, dB [shape=(n_bands,)].
        frequencies_hz: The bands' centres, Hz [shape=(n_bands,)].
        short_term_lufs: Short-term loudness over time, LUFS [shape=(n,)].
        title: The title to set on the cover.
        artist: The artist to set on the cover.

    Returns:
        A 3000 x 3000 RGB image.
    """
    levels = np.where(np.isfinite(spectrum_db), spectrum_db, np.nan)
    power = np.nan_to_num(10.0 ** (levels / 10.0))
    total = float(power.sum())
    centroid = float((power * frequencies_hz).sum() / total) if total > 0 else 1000.0
    low_share = float(power[frequencies_hz < 200.0].sum() / total) if total > 0 else 0.3
    # Hue from the centroid: deep blue (dark music) through magenta to amber (bright).
    position = min(max(math.log2(max(centroid, 100.0) / 100.0) / 6.0, 0.0), 1.0)
    hue = (0.62 + 0.45 * position) % 1.0
    base = np.array(colorsys.hsv_to_rgb(hue, 0.65, 0.55 - 0.3 * low_share))
    accent = np.array(colorsys.hsv_to_rgb((hue + 0.12) % 1.0, 0.55, 0.95))

    # Radial gradient background, painted at 1/4 size and enlarged (smooth, and fast).
    small = SIZE // 4
    y, x = np.mgrid[0:small, 0:small] / small - 0.5
    radius = np.sqrt(x**2 + y**2) / 0.71
    shade = (1.15 - 0.75 * radius)[..., np.newaxis]
    background = np.clip(base * shade * 255.0, 0, 255).astype(np.uint8)
    image = Image.fromarray(background, "RGB").resize((SIZE, SIZE), Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(image)
    cx, cy = SIZE / 2, SIZE * 0.40  # leaves the lower fifth for the text

    # Spectrum ring: one bar per band, length by level.
    finite = levels[np.isfinite(levels)]
    if finite.size:
        top = float(finite.max())
        for index, level in enumerate(levels):
            if not math.isfinite(level):
                continue
            angle = -math.pi / 2 + 2 * math.pi * index / len(levels)
            reach = 0.04 + 0.16 * max(0.0, 1.0 + (level - top) / 60.0)
            inner, outer = SIZE * 0.14, SIZE * (0.14 + reach)
            shade = accent * (0.5 + 0.5 * reach / 0.2) * 255
            color = (int(min(shade[0], 255)), int(min(shade[1], 255)), int(min(shade[2], 255)))
            draw.line(
                [
                    (cx + inner * math.cos(angle), cy + inner * math.sin(angle)),
                    (cx + outer * math.cos(angle), cy + outer * math.sin(angle)),
                ],
                fill=color,
                width=max(6, int(SIZE * 0.9 / len(levels))),
            )
    # Loudness ring: the short-term loudness over the track, as a closed line.
    loud = short_term_lufs[np.isfinite(short_term_lufs)]
    if loud.size > 1:
        picks = loud[np.linspace(0, loud.size - 1, min(loud.size, 720)).astype(int)]
        span = max(float(picks.max() - picks.min()), 1.0)
        points = []
        for index, value in enumerate(picks):
            angle = -math.pi / 2 + 2 * math.pi * index / len(picks)
            r = SIZE * (0.09 + 0.04 * (value - picks.min()) / span)
            points.append((cx + r * math.cos(angle), cy + r * math.sin(angle)))
        draw.line([*points, points[0]], fill=(255, 255, 255), width=8)

    _set_text(draw, title, artist)
    return image


def _fit(
    draw: ImageDraw.ImageDraw, text: str, *, bold: bool, size: int, width: int
) -> ImageFont.FreeTypeFont:
    font = _font(bold, size)
    while size > 40 and draw.textlength(text, font=font) > width:
        size = int(size * 0.9)
        font = _font(bold, size)
    return font


def _set_text(draw: ImageDraw.ImageDraw, title: str, artist: str) -> None:
    width = int(SIZE * 0.86)
    title_font = _fit(draw, title, bold=True, size=220, width=width)
    artist_font = _fit(draw, artist, bold=False, size=140, width=width)
    x = SIZE * 0.07
    draw.text((x + 6, SIZE * 0.80 + 6), title, font=title_font, fill=(0, 0, 0))
    draw.text((x, SIZE * 0.80), title, font=title_font, fill=(255, 255, 255))
    below = SIZE * 0.80 + title_font.size * 1.15
    draw.text((x, below), artist, font=artist_font, fill=(235, 235, 235))


def save_cover(image: Image.Image, path: str | os.PathLike[str]) -> Path:
    """Write a cover as a baseline RGB JPEG (quality 92).

    Returns:
        The path written.
    """
    target = Path(path)
    image.convert("RGB").save(target, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return target
