"""Stage 4's page analysis: one page object and an ordered chain of passes over it.

As in docling's page pipeline, every page goes through the same list of passes, each a pure
function that takes the page and returns it with its own part added; following a line through the
analysis goes down the chain, never back and forth. The image passes come first, on each page in
turn, sharing one decode of its frame (released before the next page). Then the facts that need
every page (running headers, the first page's titles, logos repeated on many pages) are gathered
once into a `DocumentContext`, and the line passes edit each page's lines in order, ending in
reading order. `pipeline.questions_from` then reads the questions across the pages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import reduce
from typing import Callable

from PIL import Image

from ocr_assets.extraction import PageLines
from ocr_assets.figures import repeated_figures
from ocr_assets.frames import Frame, FrameImage
from ocr_assets.passes import blanks, figures, formulas, furniture, order, scaled, tables
from ocr_assets.reading_order import repeated_furniture, running_titles
from ocr_assets.tables import Table
from resources.engines.base import BBox, Block, PageStructure, TextLine


@dataclass(frozen=True)
class AnalysedPage:
    """One page: its OCR structure (page pixels), its frame's pixels (decoded once, when a pass first
    asks) and what the passes add. Boxes are in page pixels unless named `*_in_frame`."""

    index: int
    width: int
    height: int
    lines: list[TextLine]  # as OCR read them
    blocks: list[Block]
    scale: float = 1.0  # frame pixels per page pixel: the image rules run in frame pixels
    image: FrameImage = field(default_factory=lambda: FrameImage(None), repr=False, compare=False)
    keep_crops: bool = False  # cut each figure out of the frame while it is decoded
    # added by the image passes
    found_figures: list[BBox] = field(default_factory=list)  # every figure, logos included
    qr_codes: list[BBox] = field(default_factory=list)
    crops: dict[tuple, Image.Image] = field(default_factory=dict, repr=False, compare=False)  # by rounded box
    blanks: list[TextLine] = field(default_factory=list)  # answer underlines and rows of answer boxes
    tables: list[Table] = field(default_factory=list)
    figures_in_frame: list[BBox] = field(default_factory=list)
    blanks_in_frame: list[TextLine] = field(default_factory=list)
    # added by the line passes
    logos: list[BBox] = field(default_factory=list)  # furniture figures: logos, binding-margin boxes, QR codes
    figures: list[BBox] = field(default_factory=list)  # the question figures
    body: list[TextLine] | None = None  # the lines as the line passes leave them (None: not started)
    ordered: list[TextLine] | None = None  # the body in reading order

    @classmethod
    def of(cls, index: int, structure: PageStructure, frame: Frame | None, keep_crops: bool = False) -> AnalysedPage:
        return cls(index, structure.width, structure.height, structure.lines, structure.blocks,
                   scale=frame.scale if frame is not None else 1.0, image=FrameImage(frame), keep_crops=keep_crops)

    @property
    def text(self) -> list[TextLine]:
        """The lines the next line pass works on."""
        return self.lines if self.body is None else self.body

    @property
    def lines_in_frame(self) -> list[TextLine]:
        return scaled(self.lines, self.scale)

    @property
    def blocks_in_frame(self) -> list[Block]:
        return [Block(b.label, tuple(v * self.scale for v in b.bbox), b.score) for b in self.blocks]

    def page_lines(self) -> PageLines:
        return PageLines(page=self.index, width=self.width, height=self.height, lines=self.ordered or [])


@dataclass(frozen=True)
class DocumentContext:
    """Facts that need every page, gathered once between the image passes and the line passes."""

    running: set[str]  # header/footer texts repeated on many pages
    titles: list[str]  # the first page's titles, running headers when they come again later
    first_page: int | None
    logos: set[tuple[int, BBox]]  # (page, box) of figures at one place on many pages

    @classmethod
    def of(cls, pages: list[AnalysedPage]) -> DocumentContext:
        return cls(
            running=repeated_furniture([(p.lines, p.height) for p in pages]),
            titles=running_titles(pages[0].lines, pages[0].height) if pages else [],
            first_page=pages[0].index if pages else None,
            logos=repeated_figures({p.index: p.found_figures for p in pages}),
        )


ImagePass = Callable[[AnalysedPage], AnalysedPage]
LinePass = Callable[[AnalysedPage, DocumentContext], AnalysedPage]


# what each page's image holds: figures (and which are QR codes), answer blanks, ruled tables
IMAGE_PASSES: tuple[ImagePass, ...] = (figures.find, blanks.find, tables.find)
# the page's lines, edited in this order: logos and their text out, figure labels out, blanks into their
# lines, table cells into tables, running headers and page furniture out, formula pieces joined, reading order
LINE_PASSES: tuple[LinePass, ...] = (furniture.drop_logos, figures.take_labels, blanks.place, tables.place,
                                     furniture.drop_headers, formulas.join, order.reading)
PAGE_PASSES = IMAGE_PASSES + LINE_PASSES  # the whole chain, in order


def analyse_pages(pages: list[AnalysedPage], image_passes: tuple[ImagePass, ...] = IMAGE_PASSES,
                  line_passes: tuple[LinePass, ...] = LINE_PASSES) -> list[AnalysedPage]:
    """Every page through the image passes (its frame decoded once, let go before the next page),
    then the document context, then every page through the line passes."""
    seen = []
    for page in pages:
        seen.append(reduce(lambda p, step: step(p), image_passes, page))
        page.image.release()
    context = DocumentContext.of(seen)
    return [reduce(lambda p, step: step(p, context), line_passes, page) for page in seen]
