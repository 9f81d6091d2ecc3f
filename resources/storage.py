"""The question database: SQLAlchemy 2.x ORM, SQLite file by default, any URL by config.

Writing a paper replaces all of its rows in one transaction: no duplicates, no half-written paper.
The schema is migrated by Alembic (resources/migrations) when an engine is made: a change to these
models needs a new revision there.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import dagster as dg
from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, Text, create_engine, delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship


STATUS_DONE, STATUS_REFUSED, STATUS_FAILED = "done", "refused", "failed"


class Base(DeclarativeBase):
    pass


class Paper(Base):
    __tablename__ = "papers"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(128), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(512))
    source_path: Mapped[str] = mapped_column(Text)
    engine: Mapped[str] = mapped_column(String(64))
    page_count: Mapped[int] = mapped_column(Integer)
    failed_pages: Mapped[int] = mapped_column(Integer, default=0)
    processed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # "done" (read), "refused" (a file that can never be read), "failed" (gave up after its retries)
    status: Mapped[str] = mapped_column(String(16), default=STATUS_DONE, server_default=STATUS_DONE)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    pages: Mapped[list["Page"]] = relationship(back_populates="paper", cascade="all, delete-orphan", order_by="Page.index")
    questions: Mapped[list["Question"]] = relationship(
        back_populates="paper", cascade="all, delete-orphan", order_by="Question.position"
    )


class Page(Base):
    __tablename__ = "pages"
    id: Mapped[int] = mapped_column(primary_key=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"), index=True)
    index: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    dpi: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    read_by: Mapped[str | None] = mapped_column(String(16), nullable=True)  # "ocr" | "text_layer"
    paper: Mapped[Paper] = relationship(back_populates="pages")


class Question(Base):
    __tablename__ = "questions"
    id: Mapped[int] = mapped_column(primary_key=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(32))
    section: Mapped[str | None] = mapped_column(String(256), nullable=True)
    type: Mapped[str] = mapped_column(String(32))
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    stem: Mapped[str] = mapped_column(Text)
    passage: Mapped[str | None] = mapped_column(Text, nullable=True)  # shared reading material
    answer: Mapped[str | None] = mapped_column(Text, nullable=True)
    analysis: Mapped[str | None] = mapped_column(Text, nullable=True)  # the printed worked solution (解析)
    paper: Mapped[Paper] = relationship(back_populates="questions")
    options: Mapped[list["Option"]] = relationship(cascade="all, delete-orphan", order_by="Option.position")
    sub_questions: Mapped[list["SubQuestion"]] = relationship(cascade="all, delete-orphan", order_by="SubQuestion.position")
    spans: Mapped[list["Span"]] = relationship(cascade="all, delete-orphan", order_by="Span.page")
    figures: Mapped[list["Figure"]] = relationship(cascade="all, delete-orphan", order_by="Figure.id")


class Option(Base):
    __tablename__ = "options"
    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)


class SubQuestion(Base):
    __tablename__ = "sub_questions"
    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)


class Span(Base):
    __tablename__ = "spans"
    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), index=True)
    page: Mapped[int] = mapped_column(Integer)
    bbox: Mapped[list[float]] = mapped_column(JSON)


class Figure(Base):
    __tablename__ = "figures"
    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), index=True)
    page: Mapped[int] = mapped_column(Integer)
    bbox: Mapped[list[float]] = mapped_column(JSON)
    image: Mapped[str | None] = mapped_column(Text, nullable=True)


def default_database_url(data_dir: Path) -> str:
    return os.environ.get("EXAMPAPER_DATABASE_URL") or f"sqlite:///{(data_dir / 'exampapers.sqlite').resolve()}"


def make_engine(url: str) -> Engine:
    """An engine on the question database, its schema upgraded to the newest revision (under a lock)."""
    from resources.migrations import upgrade_database  # its env.py imports this module

    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        from sqlalchemy import event

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(conn, _):  # cascades and concurrent readers; wait for a lock before switching to WAL
            conn.execute("PRAGMA busy_timeout=30000")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA journal_mode=WAL")

    upgrade_database(engine)
    return engine


def replace_paper(engine: Engine, paper: dict[str, Any], pages: list[dict], questions: list[dict]) -> int:
    """Write one paper's rows, replacing any earlier ones, atomically. Returns the paper id."""
    return _replace_paper_row(
        engine, paper,
        page_count=len(pages),
        failed_pages=sum(1 for p in pages if p["status"] != "ok"),
        status=STATUS_DONE,
        error=None,
        pages=[
            Page(index=p["index"], source=p["source"], width=p["width"], height=p["height"], dpi=p.get("dpi"),
                 status=p["status"], error=p.get("error"), read_by=p.get("read_by"))
            for p in pages
        ],
        questions=[_question_row(position, q) for position, q in enumerate(questions, start=1)],
    )


def record_paper_failure(engine: Engine, paper: dict[str, Any], error: str, kind: str) -> int:
    """Store that a paper could not be read, replacing any earlier rows: status "refused" for a bad file
    (`kind == "bad_file"`, it will never be read as it is), else "failed"; no pages, no questions."""
    return _replace_paper_row(engine, paper, page_count=0, failed_pages=0,
                              status=STATUS_REFUSED if kind == "bad_file" else STATUS_FAILED, error=error)


def _replace_paper_row(engine: Engine, paper: dict[str, Any], **fields) -> int:
    """The paper's one row (with its pages and questions in `fields`) in place of any earlier, in one transaction."""
    with Session(engine) as session, session.begin():
        session.execute(delete(Paper).where(Paper.key == paper["key"]))
        session.flush()
        row = Paper(key=paper["key"], name=paper["name"], source_path=paper["source_path"], engine=paper["engine"],
                    processed_at=dt.datetime.now(dt.timezone.utc), **fields)
        session.add(row)
        session.flush()
        return row.id


def _question_row(position: int, q: dict) -> Question:
    return Question(
        position=position,
        number=q["number"],
        section=q.get("section"),
        type=q["type"],
        score=q.get("score"),
        stem=q["stem"],
        passage=q.get("passage"),
        answer=q.get("answer"),
        analysis=q.get("analysis"),
        options=[Option(position=i, label=o["label"], text=o["text"]) for i, o in enumerate(q.get("options", []))],
        sub_questions=[
            SubQuestion(position=i, number=s["number"], text=s["text"]) for i, s in enumerate(q.get("sub_questions", []))
        ],
        spans=[Span(page=s["page"], bbox=list(s["bbox"])) for s in q.get("spans", [])],
        figures=[Figure(page=f["page"], bbox=list(f["bbox"]), image=f.get("image")) for f in q.get("figures", [])],
    )


def load_paper(engine: Engine, key: str) -> dict | None:
    """The stored paper as contract-shaped dicts (for tests, the CLI and people)."""
    with Session(engine) as session:
        paper = session.scalars(select(Paper).where(Paper.key == key)).first()
        if paper is None:
            return None
        return {
            "paper": paper.key,
            "engine": paper.engine,
            "status": paper.status,
            "error": paper.error,
            "pages": [{"index": p.index, "source": p.source, "width": p.width, "height": p.height, "dpi": p.dpi,
                       "status": p.status, "error": p.error, "read_by": p.read_by} for p in paper.pages],
            "questions": [
                {"number": q.number, "section": q.section, "type": q.type, "score": q.score, "stem": q.stem,
                 "passage": q.passage, "answer": q.answer, "analysis": q.analysis,
                 "options": [{"label": o.label, "text": o.text} for o in q.options],
                 "sub_questions": [{"number": s.number, "text": s.text} for s in q.sub_questions],
                 "spans": [{"page": s.page, "bbox": s.bbox} for s in q.spans],
                 "figures": [{"page": f.page, "bbox": f.bbox, "image": f.image} for f in q.figures]}
                for q in paper.questions
            ],
        }


class QuestionStore(dg.ConfigurableResource):
    """Where questions land: `database_url`, else $EXAMPAPER_DATABASE_URL, else SQLite under the data dir."""

    database_url: str | None = None
    data_dir: str = "data"

    def url(self) -> str:
        return self.database_url or default_database_url(Path(self.data_dir))

    def engine(self) -> Engine:
        return _cached_engine(self.url())


_ENGINES: dict[str, Engine] = {}


def _cached_engine(url: str) -> Engine:
    if url not in _ENGINES:
        _ENGINES[url] = make_engine(url)
    return _ENGINES[url]


class ArtifactStore(dg.ConfigurableResource):
    """Where per-paper files live: frames, OCR JSON and figure crops under `data_dir`."""

    data_dir: str = "data"

    def paper_dir(self, stage: str, key: str) -> Path:
        path = Path(self.data_dir) / stage / key
        path.mkdir(parents=True, exist_ok=True)
        return path
