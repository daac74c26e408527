"""A second resemblance key on each participation: a keyed hash of the name and the postcode,
so that the same person giving another date of birth is listed as a suspected duplicate.

Reviewed by hand. Participations recorded before hold none (their names are not stored to
derive it from), so only votes cast from now on are compared this way.

Revision ID: f145f7b91010
Revises: 73730c92b99d
Create Date: 2026-12-07 19:01:06.554037

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f145f7b91010'
down_revision = '73730c92b99d'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('participation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_resemblance_key', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_participation_round_id_name_resemblance_key', ['round_id', 'name_resemblance_key'], unique=False)



def downgrade():
    with op.batch_alter_table('participation', schema=None) as batch_op:
        batch_op.drop_index('ix_participation_round_id_name_resemblance_key')
        batch_op.drop_column('name_resemblance_key')

