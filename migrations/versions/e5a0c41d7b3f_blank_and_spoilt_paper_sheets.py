"""Blank and spoilt paper sheets: a keyed sheet may be set aside instead of holding choices,
and an accepted batch keeps how many of its sheets were set aside.

Reviewed by hand. A set-aside sheet holds no sealed choices, only the word for why; the check
keeps a sheet to exactly one of the two. Batches entered before this hold no set-aside sheets,
so their counts start at 0.

Revision ID: e5a0c41d7b3f
Revises: c3b7e2a91f04
Create Date: 2026-12-07 07:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5a0c41d7b3f'
down_revision = 'c3b7e2a91f04'
branch_labels = None
depends_on = None

CHOICES_OR_SET_ASIDE = (
    "(sealed_choices IS NOT NULL AND set_aside IS NULL) OR "
    "(sealed_choices IS NULL AND set_aside IN ('blank', 'spoilt'))")


def upgrade():
    with op.batch_alter_table('paper_batch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('blank_count', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('spoilt_count', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.create_check_constraint(op.f('ck_paper_batch_set_aside_not_negative'),
                                         'blank_count >= 0 AND spoilt_count >= 0')

    with op.batch_alter_table('keyed_sheet', schema=None) as batch_op:
        batch_op.add_column(sa.Column('set_aside', sa.String(length=8), nullable=True))
        batch_op.alter_column('sealed_choices', existing_type=sa.LargeBinary(), nullable=True)
        batch_op.create_check_constraint(op.f('ck_keyed_sheet_choices_or_set_aside'),
                                         CHOICES_OR_SET_ASIDE)


def downgrade():
    op.execute("DELETE FROM keyed_sheet WHERE set_aside IS NOT NULL")
    with op.batch_alter_table('keyed_sheet', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_keyed_sheet_choices_or_set_aside'), type_='check')
        batch_op.alter_column('sealed_choices', existing_type=sa.LargeBinary(), nullable=False)
        batch_op.drop_column('set_aside')

    with op.batch_alter_table('paper_batch', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_paper_batch_set_aside_not_negative'), type_='check')
        batch_op.drop_column('spoilt_count')
        batch_op.drop_column('blank_count')
