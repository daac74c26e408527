"""A version on each round's fixed ballot, drawn afresh whenever its projects or photos
change, so that every app process can keep the ballot's projects between requests and knows,
from the round it reads on each request, when they have changed.

Reviewed by hand. Each existing round gets a random version of its own.

Revision ID: 0b7d2c5e9a41
Revises: f145f7b91010
Create Date: 2026-12-07 22:10:00.000000

"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0b7d2c5e9a41'
down_revision = 'f145f7b91010'
branch_labels = None
depends_on = None


def upgrade():
    # Added with a default and filled at once, not rebuilt in a batch: SQLite could not drop and
    # recreate the round table that so many others refer to.
    op.add_column('round', sa.Column('ballot_version', sa.String(length=16), nullable=False,
                                     server_default=''))
    connection = op.get_bind()
    round_ids = connection.execute(sa.text('SELECT id FROM round')).scalars().all()
    for round_id in round_ids:
        connection.execute(sa.text('UPDATE round SET ballot_version = :version WHERE id = :id'),
                           {'version': secrets.token_hex(8), 'id': round_id})


def downgrade():
    op.drop_column('round', 'ballot_version')
