"""Paper batches keyed at event scale: a batch's keying rule, its keyings and keyed sheets.

Reviewed by hand. A keyed sheet holds its choices sealed to the round's box key and an HMAC
of them under the audit key, never the plain choices; accepting a batch deletes its sheets.

Revision ID: c3b7e2a91f04
Revises: a59ee839287c
Create Date: 2026-12-07 02:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3b7e2a91f04'
down_revision = 'a59ee839287c'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('paper_batch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('keying_rule', sa.String(length=8), nullable=True))
        batch_op.create_check_constraint(op.f('ck_paper_batch_known_keying_rule'),
                                         "keying_rule IN ('single', 'double')")

    op.create_table('paper_keying',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('clerk_id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('number IN (1, 2)', name=op.f('ck_paper_keying_first_or_second')),
    sa.ForeignKeyConstraint(['batch_id'], ['paper_batch.id'], name=op.f('fk_paper_keying_batch_id_paper_batch')),
    sa.ForeignKeyConstraint(['clerk_id'], ['user.id'], name=op.f('fk_paper_keying_clerk_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paper_keying')),
    sa.UniqueConstraint('batch_id', 'clerk_id', name=op.f('uq_paper_keying_batch_id_clerk_id')),
    sa.UniqueConstraint('batch_id', 'number', name=op.f('uq_paper_keying_batch_id_number'))
    )
    with op.batch_alter_table('paper_keying', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_paper_keying_batch_id'), ['batch_id'], unique=False)

    op.create_table('keyed_sheet',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('keying_id', sa.Integer(), nullable=False),
    sa.Column('sheet_number', sa.Integer(), nullable=False),
    sa.Column('sealed_choices', sa.LargeBinary(), nullable=False),
    sa.Column('choices_mac', sa.String(length=64), nullable=False),
    sa.CheckConstraint('sheet_number >= 1', name=op.f('ck_keyed_sheet_sheet_number_positive')),
    sa.ForeignKeyConstraint(['keying_id'], ['paper_keying.id'], name=op.f('fk_keyed_sheet_keying_id_paper_keying')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_keyed_sheet')),
    sa.UniqueConstraint('keying_id', 'sheet_number', name=op.f('uq_keyed_sheet_keying_id_sheet_number'))
    )


def downgrade():
    op.drop_table('keyed_sheet')
    with op.batch_alter_table('paper_keying', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_paper_keying_batch_id'))

    op.drop_table('paper_keying')
    with op.batch_alter_table('paper_batch', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_paper_batch_known_keying_rule'), type_='check')
        batch_op.drop_column('keying_rule')
