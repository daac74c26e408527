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
    op.create_table('mail_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('to_address', sa.String(length=320), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'sent', 'failed')",
                       name=op.f('ck_mail_message_known_status')),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_mail_message_attempts_not_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_message'))
    )
    with op.batch_alter_table('mail_message', schema=None) as batch_op:
        batch_op.create_index('ix_mail_message_status_next_attempt_at',
                              ['status', 'next_attempt_at'], unique=False)


def downgrade():
    with op.batch_alter_table('mail_message', schema=None) as batch_op:
        batch_op.drop_index('ix_mail_message_status_next_attempt_at')

    op.drop_table('mail_message')
