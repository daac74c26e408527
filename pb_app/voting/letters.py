"""Voting-code letters as a PDF, one page per code, ready to print and post (reportlab)."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer


def render_letters(*, partnership: str, locality: str, round_title: str, closes: str,
                   vote_url: str, codes: list[str]) -> bytes:
    """A PDF with one letter per code: what the vote is, the code in groups, how to use it.
    ``closes`` says when voting closes ("11:59pm on 25 December 2026"; empty when no date
    is set)."""
    styles = getSampleStyleSheet()
    code_style = ParagraphStyle("code", parent=styles["Title"], fontName="Courier-Bold",
                                fontSize=24, leading=30, spaceBefore=6 * mm, spaceAfter=6 * mm)
    story: list = []
    deadline = f" at {closes}" if closes else ""
    for number, code in enumerate(codes, 1):
        story += [
            Paragraph(escape(partnership), styles["Normal"]),
            Paragraph(escape(f"{locality} Community Integration Group"), styles["Normal"]),
            Spacer(1, 12 * mm),
            Paragraph(escape(f"Your vote: {round_title}"), styles["Heading1"]),
            Paragraph(escape(
                f"You can help decide how money is spent in {locality}. Vote online at "
                f"{vote_url} before voting closes{deadline}. You do not need "
                "an account: enter the code below and your postcode."), styles["BodyText"]),
            Paragraph("Your voting code", styles["Heading2"]),
            Paragraph(escape(code), code_style),
            Paragraph(escape(
                "The code works once, only for this vote, and stops working when voting "
                "closes. Keep it private: anyone who has it can use it. Nobody can see how "
                "you voted from it."), styles["BodyText"]),
            Spacer(1, 6 * mm),
            Paragraph(escape(f"Letter {number} of {len(codes)}"), styles["Italic"]),
        ]
        if number < len(codes):
            story.append(PageBreak())
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, title=f"Voting codes: {round_title}",
                      leftMargin=20 * mm, rightMargin=20 * mm).build(story)
    return buffer.getvalue()
