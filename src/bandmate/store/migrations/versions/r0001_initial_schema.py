"""Initial schema: users, sessions, projects, memberships, invitations, update log, snapshots.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

ROLE_CHECK = "role IN ('owner', 'editor', 'viewer')"


def _id(name: str = "id", *, nullable: bool) -> sa.Column[str]:
    return sa.Column(name, sa.String(32), nullable=nullable)


def _time(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Create every table of the first release."""
    op.create_table(
        "users",
        _id(nullable=False),
        sa.Column("username", sa.String(32), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        _time("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "projects",
        _id(nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        _time("created_at"),
        _time("updated_at"),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("song_blob", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
    )
    op.create_table(
        "sessions",
        sa.Column("token_hash", sa.String(64), nullable=False),
        _id("user_id", nullable=False),
        _time("created_at"),
        _time("expires_at"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_sessions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_sessions")),
    )
    op.create_index(op.f("ix_sessions_user_id"), "sessions", ["user_id"])
    op.create_index(op.f("ix_sessions_expires_at"), "sessions", ["expires_at"])
    op.create_table(
        "memberships",
        _id("project_id", nullable=False),
        _id("user_id", nullable=False),
        sa.Column("role", sa.String(10), nullable=False),
        _time("created_at"),
        sa.CheckConstraint(ROLE_CHECK, name=op.f("ck_memberships_role")),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_memberships_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_memberships_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("project_id", "user_id", name=op.f("pk_memberships")),
    )
    op.create_index(op.f("ix_memberships_user_id"), "memberships", ["user_id"])
    op.create_table(
        "invitations",
        _id(nullable=False),
        _id("project_id", nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("role", sa.String(10), nullable=False),
        _id("created_by", nullable=True),
        _time("created_at"),
        _time("expires_at"),
        sa.Column("max_uses", sa.Integer(), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.CheckConstraint(ROLE_CHECK, name=op.f("ck_invitations_role")),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_invitations_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_invitations_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_invitations_token_hash")),
    )
    op.create_index(op.f("ix_invitations_project_id"), "invitations", ["project_id"])
    op.create_table(
        "project_updates",
        _id("project_id", nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        _id("author_id", nullable=True),
        _time("created_at"),
        sa.Column("update", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_project_updates_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_project_updates_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("project_id", "seq", name=op.f("pk_project_updates")),
    )
    op.create_table(
        "project_snapshots",
        _id("project_id", nullable=False),
        sa.Column("upto_seq", sa.Integer(), autoincrement=False, nullable=False),
        _time("created_at"),
        sa.Column("state", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_project_snapshots_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", "upto_seq", name=op.f("pk_project_snapshots")),
    )


def downgrade() -> None:
    """Drop every table, children first."""
    for table in (
        "project_snapshots",
        "project_updates",
        "invitations",
        "memberships",
        "sessions",
        "projects",
        "users",
    ):
        op.drop_table(table)
