"""Mail outbox: messages written in the request's transaction, delivered by flask mail send.

Revision ID: 50ec4ef50514
Revises: 49aa31142bdb
Create Date: 2026-12-06 20:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '50ec4ef50514'
down_revision = '49aa31142bdb'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
