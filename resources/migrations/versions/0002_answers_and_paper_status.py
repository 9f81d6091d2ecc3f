"""Questions carry their answer and analysis; a paper row says whether it was read, refused or failed, and why;
a page says how its text was read (OCR or the PDF text layer).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("questions") as batch:
        batch.add_column(sa.Column("answer", sa.Text(), nullable=True))
        batch.add_column(sa.Column("analysis", sa.Text(), nullable=True))
    # every paper stored before this revision was written by a successful run
    with op.batch_alter_table("papers") as batch:
        batch.add_column(sa.Column("status", sa.String(16), nullable=False, server_default="done"))
        batch.add_column(sa.Column("error", sa.Text(), nullable=True))
    with op.batch_alter_table("pages") as batch:
        batch.add_column(sa.Column("read_by", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pages") as batch:
        batch.drop_column("read_by")
    with op.batch_alter_table("papers") as batch:
        batch.drop_column("error")
        batch.drop_column("status")
    with op.batch_alter_table("questions") as batch:
        batch.drop_column("analysis")
        batch.drop_column("answer")
