"""The question database migrates on start: a database made by the version before migrations keeps its rows,
fresh and upgraded databases match the models, and processes starting together take turns."""

import contextlib
import subprocess
import sys

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from resources.migrations import alembic_config, current_revision, head_revision
from resources.storage import Base, load_paper, make_engine, replace_paper
from tests.conftest import REPO
from tests.test_storage import needs_postgres, paper_rows, postgres_schema_url

# The schema of version 0.1.0 as Base.metadata.create_all made it, frozen here as it was: the "previous schema".
previous = sa.MetaData()
sa.Table(
    "papers", previous,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("key", sa.String(128), nullable=False, unique=True, index=True),
    sa.Column("name", sa.String(512), nullable=False),
    sa.Column("source_path", sa.Text, nullable=False),
    sa.Column("engine", sa.String(64), nullable=False),
    sa.Column("page_count", sa.Integer, nullable=False),
    sa.Column("failed_pages", sa.Integer, nullable=False),
    sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
)
sa.Table(
    "pages", previous,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("paper_id", sa.Integer, sa.ForeignKey("papers.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("index", sa.Integer, nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("width", sa.Integer, nullable=False),
    sa.Column("height", sa.Integer, nullable=False),
    sa.Column("dpi", sa.Integer, nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("error", sa.Text, nullable=True),
)
sa.Table(
    "questions", previous,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("paper_id", sa.Integer, sa.ForeignKey("papers.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("number", sa.String(32), nullable=False),
    sa.Column("section", sa.String(256), nullable=True),
    sa.Column("type", sa.String(32), nullable=False),
    sa.Column("score", sa.Float, nullable=True),
    sa.Column("stem", sa.Text, nullable=False),
    sa.Column("passage", sa.Text, nullable=True),
)


def _child_table(name, *columns):
    sa.Table(
        name, previous,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("question_id", sa.Integer, sa.ForeignKey("questions.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        *columns,
    )


_child_table("options", sa.Column("position", sa.Integer, nullable=False), sa.Column("label", sa.String(8), nullable=False),
             sa.Column("text", sa.Text, nullable=False))
_child_table("sub_questions", sa.Column("position", sa.Integer, nullable=False),
             sa.Column("number", sa.String(16), nullable=False), sa.Column("text", sa.Text, nullable=False))
_child_table("spans", sa.Column("page", sa.Integer, nullable=False), sa.Column("bbox", sa.JSON, nullable=False))
_child_table("figures", sa.Column("page", sa.Integer, nullable=False), sa.Column("bbox", sa.JSON, nullable=False),
             sa.Column("image", sa.Text, nullable=True))

PAPERS = 3
QUESTIONS_PER_PAPER = 4


def fill_previous_schema(url: str) -> dict[str, list[tuple]]:
    """A database as version 0.1.0 left it, with rows in every table. Returns each table's rows."""
    engine = sa.create_engine(url)
    previous.create_all(engine)
    t = previous.tables
    with engine.begin() as conn:
        for p in range(1, PAPERS + 1):
            paper_id = conn.execute(t["papers"].insert().values(
                key=f"paper-{p}", name=f"第{p}套 试卷.pdf", source_path=f"/drop/第{p}套 试卷.pdf", engine="rapidocr",
                page_count=2, failed_pages=1, processed_at=sa.func.now())).inserted_primary_key[0]
            for i in (1, 2):
                conn.execute(t["pages"].insert().values(
                    paper_id=paper_id, index=i, source=f"p{i}.png", width=1241, height=1754, dpi=150,
                    status="ok" if i == 1 else "failed", error=None if i == 1 else "cannot decode page"))
            for n in range(1, QUESTIONS_PER_PAPER + 1):
                qid = conn.execute(t["questions"].insert().values(
                    paper_id=paper_id, position=n, number=str(n), section="一、选择题", type="single_choice", score=2.0,
                    stem=f"下列说法正确的是（{p}-{n}）", passage=None if n % 2 else "阅读材料")).inserted_primary_key[0]
                conn.execute(t["options"].insert(), [
                    {"question_id": qid, "position": k, "label": label, "text": f"选项{label}"}
                    for k, label in enumerate("ABCD")])
                conn.execute(t["sub_questions"].insert().values(question_id=qid, position=0, number="(1)", text="小问"))
                conn.execute(t["spans"].insert().values(question_id=qid, page=1, bbox=[10, 20 * n, 900, 20 * n + 15]))
                conn.execute(t["figures"].insert().values(question_id=qid, page=1, bbox=[1, 2, 3, 4], image=f"q{n}.png"))
    rows = table_rows(engine)
    engine.dispose()
    return rows


def table_rows(engine, columns_of=previous) -> dict[str, list[tuple]]:
    """Every row of every previous-schema table, restricted to the previous columns, in id order."""
    with engine.connect() as conn:
        return {
            name: [tuple(r) for r in conn.execute(sa.select(*table.c).order_by(table.c.id))]
            for name, table in columns_of.tables.items()
        }


def schema_differences(engine, metadata) -> list:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
        return compare_metadata(context, metadata)


@contextlib.contextmanager
def database_url(backend: str, tmp_path):
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'questions.sqlite'}"
    else:
        with postgres_schema_url() as url:
            yield url


backends = pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=needs_postgres)])


@backends
def test_previous_schema_upgrades_with_rows_intact(backend, tmp_path):
    with database_url(backend, tmp_path) as url:
        before = fill_previous_schema(url)
        engine = make_engine(url)  # stamps revision 0001, then upgrades
        try:
            with engine.connect() as conn:
                assert current_revision(conn) == head_revision() == "0002"
            assert table_rows(engine) == before
            assert schema_differences(engine, Base.metadata) == []  # columns, types, defaults, indexes
            with engine.connect() as conn:
                papers = conn.execute(sa.text("SELECT status, error FROM papers")).all()
                questions = conn.execute(sa.text("SELECT answer, analysis FROM questions")).all()
                read_by = conn.execute(sa.text("SELECT read_by FROM pages")).scalars().all()
            assert papers == [("done", None)] * PAPERS  # every earlier row was a successful read
            assert read_by and set(read_by) == {None}  # how old pages were read is not known
            assert questions == [(None, None)] * PAPERS * QUESTIONS_PER_PAPER
            stored = load_paper(engine, "paper-2")
            assert [q["stem"] for q in stored["questions"]] == [f"下列说法正确的是（2-{n}）" for n in range(1, 5)]
            assert [o["label"] for o in stored["questions"][0]["options"]] == list("ABCD")

            replace_paper(engine, *paper_rows(2, key="paper-2"))  # the new columns are written after the upgrade
            assert load_paper(engine, "paper-2")["questions"][0]["answer"] == "B"
            assert table_rows(engine)["papers"][0] == before["papers"][0]  # other papers untouched

            engine.dispose()
            engine = make_engine(url)  # a second start finds nothing to do
            with engine.connect() as conn:
                assert current_revision(conn) == "0002"
        finally:
            engine.dispose()


@backends
def test_revisions_match_the_models(backend, tmp_path):
    """Revision 0001 is exactly the previous schema, the head exactly today's models, and 0002 downgrades."""
    with database_url(backend, tmp_path) as url:
        engine = sa.create_engine(url)
        try:
            with engine.begin() as conn:
                command.upgrade(alembic_config(conn), "0001")
            assert schema_differences(engine, previous) == []
            with engine.begin() as conn:
                command.upgrade(alembic_config(conn), "head")
            assert schema_differences(engine, Base.metadata) == []
            with engine.begin() as conn:
                command.downgrade(alembic_config(conn), "0001")
            assert schema_differences(engine, previous) == []
        finally:
            engine.dispose()


MIGRATE_ONCE = """
import sys
import sqlalchemy as sa
from resources.storage import make_engine
from resources.migrations import current_revision
engine = make_engine(sys.argv[1])
with engine.connect() as conn:
    print(current_revision(conn))
"""


@backends
@pytest.mark.parametrize("start_from", ["empty", "previous"])
def test_processes_starting_together_take_turns(backend, start_from, tmp_path):
    """Four processes open the same database at once (as `dagster dev`'s code servers and run workers do):
    all of them start, the schema is migrated once, the rows are there once."""
    with database_url(backend, tmp_path) as url:
        before = fill_previous_schema(url) if start_from == "previous" else None
        children = [
            subprocess.Popen([sys.executable, "-c", MIGRATE_ONCE, url], cwd=REPO, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
            for _ in range(4)
        ]
        outcomes = [(child.wait(timeout=300), child.stdout.read(), child.stderr.read()) for child in children]
        for status, out, err in outcomes:
            assert (status, out.strip()) == (0, "0002"), err[-2000:]
        engine = sa.create_engine(url)
        try:
            with engine.connect() as conn:
                assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all() == ["0002"]
            if before is not None:
                assert table_rows(engine) == before
            assert schema_differences(engine, Base.metadata) == []
        finally:
            engine.dispose()


def test_half_made_database_is_refused_clearly(tmp_path):
    url = f"sqlite:///{tmp_path / 'questions.sqlite'}"
    engine = sa.create_engine(url)
    previous.tables["papers"].create(engine)
    engine.dispose()
    with pytest.raises(RuntimeError, match=r"only partly there \(missing figures, options, pages, questions"):
        make_engine(url)


def test_database_from_a_newer_version_is_refused_clearly(tmp_path):
    url = f"sqlite:///{tmp_path / 'questions.sqlite'}"
    make_engine(url).dispose()
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0099'"))
    engine.dispose()
    with pytest.raises(RuntimeError, match=r"revision '0099', which this version of the project does not know"):
        make_engine(url)


def test_migrations_run_from_any_working_directory(tmp_path):
    """The environment is found inside the package, not relative to the cwd (an installed project, `dagster dev`
    started elsewhere)."""
    url = f"sqlite:///{tmp_path / 'questions.sqlite'}"
    done = subprocess.run([sys.executable, "-c", MIGRATE_ONCE, url], cwd=tmp_path, capture_output=True, text=True,
                          env={"PYTHONPATH": str(REPO), "PATH": ""})
    assert (done.returncode, done.stdout.strip()) == (0, "0002"), done.stderr[-2000:]


FAILING_REVISION = '''
"""A revision that breaks halfway, to prove an upgrade is all or nothing."""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("papers") as batch:
        batch.add_column(sa.Column("half_done", sa.Text(), nullable=True))
    raise RuntimeError("revision 0003 broke halfway")
'''


@backends
def test_an_upgrade_that_breaks_leaves_the_database_as_it_was(backend, tmp_path, monkeypatch):
    import shutil

    import resources.migrations as migrations

    broken = tmp_path / "migrations"
    shutil.copytree(migrations.SCRIPT_LOCATION, broken, ignore=shutil.ignore_patterns("__pycache__"))
    (broken / "versions" / "0003_broken.py").write_text(FAILING_REVISION, encoding="utf-8")
    monkeypatch.setattr(migrations, "SCRIPT_LOCATION", broken)
    with database_url(backend, tmp_path) as url:
        before = fill_previous_schema(url)
        with pytest.raises(RuntimeError, match="revision 0003 broke halfway"):
            make_engine(url)
        engine = sa.create_engine(url)
        try:
            assert schema_differences(engine, previous) == []  # not stamped, 0002 not applied, no half_done
            assert "alembic_version" not in sa.inspect(engine).get_table_names()
            assert table_rows(engine) == before
        finally:
            engine.dispose()
        monkeypatch.undo()
        make_engine(url).dispose()  # the real revisions still upgrade it afterwards
