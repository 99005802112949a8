"""Decoding gazette and watchlist text files: UTF-8 (with or without BOM), UTF-16, GBK/GB18030."""

from __future__ import annotations

from pathlib import Path

from markwatch.errors import FileFormatError

# ---------------------------------------------------------------------------------------------
# Text decoding
# ---------------------------------------------------------------------------------------------

_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode a text file: UTF-8 with BOM, UTF-8, else GB18030 (a superset of GBK and GB2312).

    Returns ``(text, encoding_name)`` with any BOM removed. UTF-16 with a BOM (Excel's
    "Unicode text" export) is accepted too. Raises FileFormatError when nothing decodes
    cleanly or the result looks binary.
    """
    if data.startswith(_UTF8_BOM):
        candidates = [("utf-8-sig", data[len(_UTF8_BOM):], "utf-8")]
    elif data.startswith(_UTF16_BOMS):
        candidates = [("utf-16", data, "utf-16")]
    else:
        # UTF-8 first: valid UTF-8 of any length is almost never meaningful GB18030, while
        # the reverse is common, so this order decides correctly.
        candidates = [("utf-8", data, "utf-8"), ("gb18030", data, "gb18030")]
    for name, payload, codec in candidates:
        try:
            text = payload.decode(codec)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            # NUL never appears in a real text file: this is a binary file (xlsx, zip...).
            break
        return text.lstrip("\ufeff"), name
    tried = ", ".join(c[0] for c in candidates)
    raise FileFormatError(
        f"cannot decode the file as text (tried {tried}); save it as UTF-8 or GBK text "
        "(文件编码无法识别，请另存为 UTF-8 或 GBK 文本)"
    )



def read_text_file(path: Path) -> str:
    """The text of a file, decoded with ``decode_bytes``; FileFormatError if unreadable."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FileFormatError(f"{path}: cannot read the file: {exc.strerror or exc} (文件无法读取)") from None
    try:
        return decode_bytes(data)[0]
    except FileFormatError as exc:
        raise FileFormatError(f"{path}: {exc}") from None
