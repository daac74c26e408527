"""Personal data: retention, purge records, closed accounts (no schema change).

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
    # No schema change. The purge works on existing columns: a purged person key becomes
    # "purged:<participation id>" (the unique (round_id, person_key) still holds), links to
    # accounts and voting codes become NULL, codes and followers are deleted. A closed
    # account keeps its row, emptied of personal data, because proposals, counts and
    # sign-offs refer to it. Both are recorded in the audit trail, not in tables of their own.
    pass


def downgrade():
    pass
