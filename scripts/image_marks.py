#!/usr/bin/env python3
"""Synthetic figurative and combined marks (图形/组合商标) for the image channel's tests and figures.

Every logo is drawn with Pillow from a seed: one to three shapes (circles, rings, polygons, stars,
bars, arcs) in one or two colours, with or without words rendered in a CJK font. The copy
transformations are those a knock-off applies: rotation (quarter turns and small angles), mirror,
colour inversion, recolouring, crop, scale, padding, JPEG compression. Nothing here is markwatch code:
the figures come from the library (`markwatch.images`).
"""

from __future__ import annotations

import io
import math
import random
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageOps

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
)
NAME_CHARS = "金银龙凤华美康乐福喜红绿青白星月日光明阳春山水云海江河雪雷风花宝盛鑫源泰祥瑞德和兴旺隆昌富佳欣悦雅丽香鲜甜茶酒米牛羊马鹿虎鹰鹤熊猫狮鱼"
PALETTE = ((200, 16, 46), (0, 82, 155), (0, 122, 61), (240, 160, 0), (90, 40, 130), (20, 20, 20),
           (0, 150, 170), (180, 90, 30))
SIZE = 256


def cjk_font() -> str | None:
    for path in FONT_CANDIDATES:
        if Path(path).exists():
            return path
    return None


def _font(size: int) -> ImageFont.FreeTypeFont:
    path = cjk_font()
    if path is None:
        raise RuntimeError("no CJK font: install fonts-wqy-microhei (Debian) as scripts/ci_services.sh does")
    return ImageFont.truetype(path, size)


def words(rng: random.Random, n: int | None = None) -> str:
    return "".join(rng.choice(NAME_CHARS) for _ in range(n or rng.choice((2, 3, 3, 4))))


def _star(cx: float, cy: float, r: float, points: int, rot: float) -> list[tuple[float, float]]:
    out = []
    for k in range(points * 2):
        rr = r if k % 2 == 0 else r * 0.45
        a = rot + math.pi * k / points
        out.append((cx + rr * math.cos(a), cy + rr * math.sin(a)))
    return out


def _polygon(cx: float, cy: float, r: float, sides: int, rot: float) -> list[tuple[float, float]]:
    return [(cx + r * math.cos(rot + 2 * math.pi * k / sides), cy + r * math.sin(rot + 2 * math.pi * k / sides))
            for k in range(sides)]


def _shape(d: ImageDraw.ImageDraw, rng: random.Random, colour, box: tuple[float, float, float, float]) -> None:
    x0, y0, x1, y1 = box
    cx, cy, r = (x0 + x1) / 2, (y0 + y1) / 2, min(x1 - x0, y1 - y0) / 2
    kind = rng.choice(("ring", "disc", "star", "polygon", "bars", "arc", "triangle", "cross", "leaf"))
    rot = rng.uniform(0, math.pi)
    width = max(3, int(r * rng.uniform(0.08, 0.2)))
    if kind == "ring":
        d.ellipse((cx - r, cy - r * rng.uniform(0.6, 1.0), cx + r, cy + r), outline=colour, width=width)
    elif kind == "disc":
        d.ellipse((cx - r * 0.8, cy - r * 0.8, cx + r * 0.8, cy + r * 0.8), fill=colour)
    elif kind == "star":
        d.polygon(_star(cx, cy, r, rng.choice((5, 6, 8)), rot), fill=colour)
    elif kind == "polygon":
        d.polygon(_polygon(cx, cy, r, rng.choice((4, 5, 6, 8)), rot), outline=colour, width=width)
    elif kind == "triangle":
        d.polygon(_polygon(cx, cy, r, 3, rot), fill=colour)
    elif kind == "bars":
        n = rng.choice((2, 3, 4))
        for k in range(n):
            h = r * rng.uniform(0.5, 1.8)
            bx = x0 + (x1 - x0) * (k + 0.2) / n
            d.rectangle((bx, y1 - h, bx + (x1 - x0) / n * 0.6, y1), fill=colour)
    elif kind == "arc":
        start = rng.randrange(0, 360)
        d.arc((cx - r, cy - r, cx + r, cy + r), start, start + rng.randrange(120, 300), fill=colour, width=width * 2)
    elif kind == "cross":
        t = r * 0.3
        d.rectangle((cx - t, cy - r, cx + t, cy + r), fill=colour)
        d.rectangle((cx - r, cy - t, cx + r, cy + t), fill=colour)
    else:  # leaf: two arcs' lens
        d.chord((cx - r, cy - r * 0.5, cx + r, cy + r * 1.5), 200, 340, fill=colour)
        d.chord((cx - r, cy - r * 1.5, cx + r, cy + r * 0.5), 20, 160, fill=colour)


def logo(seed: int, text: str | None = "", *, size: int = SIZE, shapes: int | None = None) -> Image.Image:
    """One mark: shapes from `seed`; `text` "" draws random words, None no words, else these words."""
    rng = random.Random(seed)
    img = Image.new("RGB", (size, size), "white")
    d = ImageDraw.Draw(img)
    colours = rng.sample(PALETTE, 2)
    n = shapes or rng.choice((2, 3, 3, 4))
    with_text = text is not None
    top = size * (0.62 if with_text else 0.92)
    for k in range(n):
        s = rng.uniform(0.45, 0.85) * top
        x = rng.uniform(size * 0.05, size * 0.95 - s)
        y = rng.uniform(size * 0.04, max(size * 0.05, top - s))
        _shape(d, rng, colours[k % 2], (x, y, x + s, y + s))
    if with_text:
        label = text or words(rng)
        font = _font(int(size * 0.16))
        w = d.textlength(label, font=font)
        d.text(((size - w) / 2, size * 0.72), label, font=font, fill=colours[0])
    return img


def with_words(base_seed: int, text: str, *, size: int = SIZE) -> Image.Image:
    """The device of `logo(base_seed)` with other words: what an image embedding cannot tell apart."""
    return logo(base_seed, text, size=size)


def word_picture(text: str, seed: int = 0, *, size: int = SIZE) -> Image.Image:
    """Words alone drawn as a picture (a combined mark whose words are only in the image)."""
    rng = random.Random(seed)
    img = Image.new("RGB", (size, size // 2), "white")
    d = ImageDraw.Draw(img)
    font = _font(int(size * 0.2))
    w = d.textlength(text, font=font)
    colour = rng.choice(PALETTE)
    d.rounded_rectangle((6, 6, size - 6, size // 2 - 6), radius=18, outline=colour, width=5)
    d.text(((size - w) / 2, size * 0.12), text, font=font, fill=colour)
    return img


# ---------------------------------------------------------------- copy transformations
def _jpeg(img: Image.Image, quality: int = 40) -> Image.Image:
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def _crop(img: Image.Image, share: float) -> Image.Image:
    w, h = img.size
    dx, dy = int(w * share), int(h * share)
    return img.crop((dx, dy // 2, w - dx // 2, h - dy))


def _recolour(img: Image.Image) -> Image.Image:
    r, g, b = img.split()
    return Image.merge("RGB", (b, r, g))


def _pad(img: Image.Image, share: float) -> Image.Image:
    w, h = img.size
    return ImageOps.expand(img, border=(int(w * share), int(h * share * 0.5)), fill="white")


TRANSFORMS: dict[str, Callable[[Image.Image], Image.Image]] = {
    "rotate90": lambda im: im.rotate(90, expand=True),
    "rotate180": lambda im: im.rotate(180, expand=True),
    "rotate15": lambda im: im.rotate(15, expand=True, fillcolor="white", resample=Image.BICUBIC),
    "mirror": ImageOps.mirror,
    "invert": lambda im: ImageOps.invert(im.convert("RGB")),
    "recolour": _recolour,
    "crop10": lambda im: _crop(im, 0.10),
    "scale_down": lambda im: im.resize((im.width // 3, im.height // 3), Image.LANCZOS),
    "scale_up": lambda im: im.resize((im.width * 2, im.height * 2), Image.BICUBIC),
    "pad": lambda im: _pad(im, 0.4),
    "jpeg": _jpeg,
    "grey": lambda im: ImageOps.grayscale(im).convert("RGB"),
}
