"""The opposition pack as a PDF (reportlab, BSD licence), with a Chinese TrueType font embedded.

reportlab embeds TrueType outlines only (not the CFF outlines of Noto Sans CJK OTF files). The font is
the setting ``pdf_font`` (a .ttf/.ttc path), else the first found of WenQuanYi Micro Hei (Debian
``fonts-wqy-microhei``, which ``scripts/setup.sh`` and ``scripts/ci_services.sh`` install), WenQuanYi Zen
Hei, Droid Sans Fallback and AR PL UMing.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from markwatch.documents.layout import footer, sections, title
from markwatch.errors import ConfigError

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)
FONT_NAME = "markwatch-cjk"
_registered: dict[str, str] = {}


def cjk_font(configured: str | None = None) -> str:
    """Register and name a TrueType font that has Chinese; ConfigError naming the fix when none is found."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    candidates = [configured] if configured else list(FONT_CANDIDATES)
    tried = []
    for path in candidates:
        if path in _registered:
            return _registered[path]
        if not path or not Path(path).is_file():
            tried.append(f"{path} (missing)")
            continue
        try:
            font = TTFont(f"{FONT_NAME}-{len(_registered)}", path, subfontIndex=0)
        except (TTFError, OSError) as exc:
            tried.append(f"{path} ({exc})")
            continue
        if font.face.charToGlyph.get(ord("商")) is None:
            tried.append(f"{path} (no Chinese glyphs)")
            continue
        pdfmetrics.registerFont(font)
        _registered[path] = font.fontName
        return font.fontName
    raise ConfigError("no Chinese TrueType font for the PDF (未找到中文字体): install Debian's fonts-wqy-microhei "
                      "(apt-get install fonts-wqy-microhei) or set pdf_font to a .ttf/.ttc file with Chinese "
                      f"glyphs; tried {', '.join(tried)}")


def write_pdf(pack: dict, out: Path, font_path: str | None = None) -> Path:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = cjk_font(font_path)
    body = ParagraphStyle("body", fontName=font, fontSize=9.5, leading=13.5, wordWrap="CJK")
    head = ParagraphStyle("head", parent=body, fontSize=12.5, leading=17, spaceBefore=8, spaceAfter=4)
    big = ParagraphStyle("title", parent=body, fontSize=16, leading=22, spaceAfter=8)
    width = A4[0] - 36 * mm

    def cell(text: str) -> Paragraph:
        return Paragraph(escape(text), body)

    grid = TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                       ("FONTNAME", (0, 0), (-1, -1), font)])
    story = [Paragraph(escape(title(pack)), big)]
    for section in sections(pack):
        story.append(Paragraph(escape(section.heading), head))
        if section.fields:
            table = Table([[cell(k), cell(v)] for k, v in section.fields], colWidths=[34 * mm, width - 34 * mm])
            table.setStyle(grid)
            story.append(table)
        if section.header:
            n = len(section.header)
            widths = [width / n] * n
            if section.header[0] == "法律依据":
                widths = [30 * mm, 40 * mm, width - 88 * mm, 18 * mm]
            elif section.header[0] == "序号":
                widths = [12 * mm, 48 * mm, 34 * mm, width - 110 * mm, 16 * mm]
            table = Table([[cell(h) for h in section.header]] + [[cell(c) for c in row] for row in section.rows],
                          colWidths=widths, repeatRows=1)
            table.setStyle(grid)
            table.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDEBF7"))]))
            story.append(table)
        for paragraph in section.paragraphs:
            story.append(Paragraph("• " + escape(paragraph), body))
    story += [Spacer(1, 6 * mm), Paragraph(escape(footer(pack)), body)]
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    doc = SimpleDocTemplate(str(out), pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                            bottomMargin=16 * mm, title=title(pack), author="markwatch",
                            subject=f"markwatch alert {pack['alert_id']}")
    doc.build(story)
    return out
