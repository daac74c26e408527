"""Personal data: retention, purge records, closed accounts.

Revision ID: 5d1e02dd977a
Revises: 50ec4ef50514
Create Date: 2026-12-06 20:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5d1e02dd977a'
down_revision = '50ec4ef50514'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
