"""The opposition pack as a Word document (python-docx)."""

from __future__ import annotations

from pathlib import Path

from markwatch.documents.layout import footer, sections, title

EAST_ASIAN_FONT = "宋体"


def _east_asian(style, name: str = EAST_ASIAN_FONT) -> None:
    from docx.oxml.ns import qn

    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), name)


def write_docx(pack: dict, out: Path) -> Path:
    from docx import Document
    from docx.shared import Pt

    doc = Document()
    for name in ("Normal", "Title", "Heading 1", "Heading 2"):
        _east_asian(doc.styles[name])
    doc.styles["Normal"].font.size = Pt(10.5)
    doc.core_properties.title = title(pack)
    doc.core_properties.subject = f"markwatch alert {pack['alert_id']}"
    doc.add_heading(title(pack), level=0)
    for section in sections(pack):
        doc.add_heading(section.heading, level=1)
        if section.fields:
            table = doc.add_table(rows=0, cols=2)
            table.style = "Table Grid"
            for label, value in section.fields:
                cells = table.add_row().cells
                cells[0].text, cells[1].text = label, value
        if section.header:
            table = doc.add_table(rows=1, cols=len(section.header))
            table.style = "Table Grid"
            for cell, text in zip(table.rows[0].cells, section.header):
                cell.text = text
                for run in cell.paragraphs[0].runs:
                    run.bold = True
            for row in section.rows:
                for cell, text in zip(table.add_row().cells, row):
                    cell.text = text
        for paragraph in section.paragraphs:
            doc.add_paragraph(paragraph, style="List Bullet")
    doc.add_paragraph(footer(pack))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(out))
    return out
