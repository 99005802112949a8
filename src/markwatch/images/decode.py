"""Pictures from stored bytes: PNG, JPEG, GIF, TIFF, BMP with Pillow, PDF pages with pypdfium2.

Both belong to the optional ``images`` extra (``MissingExtra`` without it). A PDF region is rendered at
RENDER_DPI and cut to its box; GIF and TIFF give their first frame; transparency is laid on white.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from markwatch.errors import MissingExtra, RecordError
from markwatch.images.refs import sniff_format

if TYPE_CHECKING:
    from PIL.Image import Image

RENDER_DPI = 200
# A decompression bomb (a tiny file declaring a gigantic canvas) is refused before it is decoded.
MAX_PIXELS = 40_000_000


def _pil():
    try:
        from PIL import Image
    except ImportError as exc:
        raise MissingExtra("reading mark images", "images", "pillow") from exc
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    return Image


def open_picture(data: bytes, region: str = "") -> Image:
    """The picture of a stored image (for a PDF, the region named by `region`), as RGB."""
    fmt = sniff_format(data)
    if fmt == "pdf":
        return _pdf_region(data, region)
    if fmt is None:
        raise RecordError("image is not PNG, JPEG, GIF, TIFF, BMP or PDF (图样格式不支持)")
    Image = _pil()
    try:
        img = Image.open(io.BytesIO(data))
        img.seek(0)
        img.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise RecordError(f"image too large to decode: {exc} (图样尺寸过大)") from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise RecordError(f"cannot decode the {fmt.upper()} image: {exc} (图样无法解码)") from None
    return flatten(img)


def flatten(img: Image) -> Image:
    """RGB, with any transparency laid on white (logos are often transparent PNGs)."""
    Image = _pil()
    if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        back = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(back, rgba).convert("RGB")
    return img.convert("RGB")


def _pdf_region(data: bytes, region: str) -> Image:
    try:
        import pypdfium2 as pdfium
    except ImportError as exc:
        raise MissingExtra("reading mark images from PDF pages", "images", "pypdfium2") from exc
    query = parse_qs(region)
    page_no = int(query.get("page", ["1"])[0])
    box = tuple(float(v) for v in query["box"][0].split(",")) if "box" in query else None
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise RecordError(f"cannot open the PDF: {exc} (PDF 无法打开)") from None
    try:
        if not 1 <= page_no <= len(pdf):
            raise RecordError(f"the PDF has {len(pdf)} page(s), not page {page_no} (PDF 页码超出范围)")
        page = pdf[page_no - 1]
        width, height = page.get_size()
        scale = RENDER_DPI / 72
        if width * height * scale * scale > MAX_PIXELS:
            scale = (MAX_PIXELS / (width * height)) ** 0.5
        if box is not None:
            x0, y0, x1, y1 = box
            if x1 > width + 1 or y1 > height + 1:
                raise RecordError(f"box {x0:g},{y0:g},{x1:g},{y1:g} lies outside the page of "
                                  f"{width:g}x{height:g} points (图样区域超出页面)")
            # pdfium crops by the margins to leave off: left, bottom, right, top
            crop = (x0, height - y1, width - x1, y0)
            bitmap = page.render(scale=scale, crop=crop)
        else:
            bitmap = page.render(scale=scale)
        return flatten(bitmap.to_pil())
    finally:
        pdf.close()
