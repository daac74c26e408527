"""Participation resemblance key: suspected duplicate voters across spellings and channels.

Reviewed by hand. Existing participations get no key (it needs the app's secret): they are
not compared.

Revision ID: eba5bf5c9c71
Revises: 923846b0312a
Create Date: 2026-12-06 21:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'eba5bf5c9c71'
down_revision = '923846b0312a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('participation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resemblance_key', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_participation_round_id_resemblance_key',
                              ['round_id', 'resemblance_key'], unique=False)


def downgrade():
    with op.batch_alter_table('participation', schema=None) as batch_op:
        batch_op.drop_index('ix_participation_round_id_resemblance_key')
        batch_op.drop_column('resemblance_key')
