"""Loops and samples: ``loop_uploads``, ``loop_events`` and ``loop_audio``.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the three loop tables and their indexes."""
    op.create_table(
        "loop_uploads",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("project_id", sa.String(32), nullable=False),
        sa.Column("uploader_id", sa.String(32), nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("blob", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("styles", sa.String(200), nullable=False),
        sa.Column("instrument", sa.String(50), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("job_id", sa.String(32), nullable=True),
        sa.Column("analysis", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('pending', 'ready', 'failed')", name=op.f("ck_loop_uploads_state")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_loop_uploads_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploader_id"],
            ["users.id"],
            name=op.f("fk_loop_uploads_uploader_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loop_uploads")),
    )
    op.create_index(
        "ix_loop_uploads_project_id_created_at", "loop_uploads", ["project_id", "created_at"]
    )
    op.create_index(op.f("ix_loop_uploads_uploader_id"), "loop_uploads", ["uploader_id"])
    op.create_index(op.f("ix_loop_uploads_blob"), "loop_uploads", ["blob"])
    op.create_table(
        "loop_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("item", sa.String(80), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('play', 'like', 'use')", name=op.f("ck_loop_events_kind")),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_loop_events_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loop_events")),
    )
    op.create_index(op.f("ix_loop_events_user_id"), "loop_events", ["user_id"])
    op.create_index(op.f("ix_loop_events_item"), "loop_events", ["item"])
    op.create_table(
        "loop_audio",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("blob", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_loop_audio")),
    )
    op.create_index(op.f("ix_loop_audio_blob"), "loop_audio", ["blob"])


def downgrade() -> None:
    """Drop the loop tables."""
    op.drop_index(op.f("ix_loop_audio_blob"), table_name="loop_audio")
    op.drop_table("loop_audio")
    op.drop_index(op.f("ix_loop_events_item"), table_name="loop_events")
    op.drop_index(op.f("ix_loop_events_user_id"), table_name="loop_events")
    op.drop_table("loop_events")
    op.drop_index(op.f("ix_loop_uploads_blob"), table_name="loop_uploads")
    op.drop_index(op.f("ix_loop_uploads_uploader_id"), table_name="loop_uploads")
    op.drop_index("ix_loop_uploads_project_id_created_at", table_name="loop_uploads")
    op.drop_table("loop_uploads")
