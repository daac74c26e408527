"""Photos of proposals, and dated public updates on funded projects' delivery.

Reviewed by hand. A proposal has at most three photos: each takes one of three places,
unique per proposal, so the database refuses a fourth. Delivery updates are append-only notes
on an allocation.

Revision ID: 7d1f19dfbeed
Revises: eba5bf5c9c71
Create Date: 2026-12-06 22:51:28

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7d1f19dfbeed'
down_revision = 'eba5bf5c9c71'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('photo',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('file_name', sa.String(length=64), nullable=False),
    sa.Column('thumbnail_name', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=20), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('thumbnail_width', sa.Integer(), nullable=False),
    sa.Column('thumbnail_height', sa.Integer(), nullable=False),
    sa.Column('alt_text', sa.String(length=250), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('position BETWEEN 1 AND 3', name=op.f('ck_photo_known_position')),
    sa.CheckConstraint("content_type IN ('image/jpeg', 'image/png')", name=op.f('ck_photo_known_type')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], name=op.f('fk_photo_proposal_id_proposal'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'], name=op.f('fk_photo_uploaded_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_photo')),
    sa.UniqueConstraint('file_name', name=op.f('uq_photo_file_name')),
    sa.UniqueConstraint('thumbnail_name', name=op.f('uq_photo_thumbnail_name')),
    sa.UniqueConstraint('proposal_id', 'position', name=op.f('uq_photo_proposal_id_position'))
    )
    with op.batch_alter_table('photo', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_photo_proposal_id'), ['proposal_id'], unique=False)

    op.create_table('delivery_update',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('allocation_id', sa.Integer(), nullable=False),
    sa.Column('noted_on', sa.Date(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('written_by_id', sa.Integer(), nullable=False),
    sa.Column('written_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['allocation_id'], ['allocation.id'], name=op.f('fk_delivery_update_allocation_id_allocation')),
    sa.ForeignKeyConstraint(['written_by_id'], ['user.id'], name=op.f('fk_delivery_update_written_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery_update'))
    )
    with op.batch_alter_table('delivery_update', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_update_allocation_id'), ['allocation_id'], unique=False)


def downgrade():
    with op.batch_alter_table('delivery_update', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_update_allocation_id'))
    op.drop_table('delivery_update')

    with op.batch_alter_table('photo', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_photo_proposal_id'))
    op.drop_table('photo')
