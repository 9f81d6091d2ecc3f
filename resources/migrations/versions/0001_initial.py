"""The schema as it was before migrations existed (Base.metadata.create_all of version 0.1.0).

A database made by that version has these tables and no alembic_version; it is stamped with this revision.

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "papers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("name", sa.String(512), nullable=False),
        sa.Column("source_path", sa.Text(), nullable=False),
        sa.Column("engine", sa.String(64), nullable=False),
        sa.Column("page_count", sa.Integer(), nullable=False),
        sa.Column("failed_pages", sa.Integer(), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_papers_key", "papers", ["key"], unique=True)
    op.create_table(
        "pages",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("paper_id", sa.Integer(), sa.ForeignKey("papers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("index", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("dpi", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
    )
    op.create_index("ix_pages_paper_id", "pages", ["paper_id"])
    op.create_table(
        "questions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("paper_id", sa.Integer(), sa.ForeignKey("papers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("section", sa.String(256), nullable=True),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("stem", sa.Text(), nullable=False),
        sa.Column("passage", sa.Text(), nullable=True),
    )
    op.create_index("ix_questions_paper_id", "questions", ["paper_id"])
    for table, extra in (
        ("options", [sa.Column("position", sa.Integer(), nullable=False), sa.Column("label", sa.String(8), nullable=False),
                     sa.Column("text", sa.Text(), nullable=False)]),
        ("sub_questions", [sa.Column("position", sa.Integer(), nullable=False),
                           sa.Column("number", sa.String(16), nullable=False), sa.Column("text", sa.Text(), nullable=False)]),
        ("spans", [sa.Column("page", sa.Integer(), nullable=False), sa.Column("bbox", sa.JSON(), nullable=False)]),
        ("figures", [sa.Column("page", sa.Integer(), nullable=False), sa.Column("bbox", sa.JSON(), nullable=False),
                     sa.Column("image", sa.Text(), nullable=True)]),
    ):
        op.create_table(
            table,
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("question_id", sa.Integer(), sa.ForeignKey("questions.id", ondelete="CASCADE"), nullable=False),
            *extra,
        )
        op.create_index(f"ix_{table}_question_id", table, ["question_id"])


def downgrade() -> None:
    for table in ("figures", "spans", "sub_questions", "options", "questions", "pages", "papers"):
        op.drop_table(table)
