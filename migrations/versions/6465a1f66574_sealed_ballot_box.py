"""Sealed ballot box: round key pairs, key holders, key shares, sealed ballots.

Revision ID: 6465a1f66574
Revises: 5afafc5bf73d
Create Date: 2026-12-06 20:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6465a1f66574'
down_revision = '5afafc5bf73d'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
