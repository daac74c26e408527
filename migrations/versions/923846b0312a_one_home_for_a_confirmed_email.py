"""One home for a confirmed email address: user.email_confirmed_at replaces email_confirmation.

Reviewed by hand. A confirmation of the address the user still has moves to the user row
(keeping its time); the table is then dropped. Downgrading writes one row per confirmed user.

Revision ID: 923846b0312a
Revises: 5d1e02dd977a
Create Date: 2026-12-06 20:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '923846b0312a'
down_revision = '5d1e02dd977a'
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        'UPDATE "user" SET email_confirmed_at = ('
        ' SELECT c.confirmed_at FROM email_confirmation c'
        ' WHERE c.user_id = "user".id AND c.email = "user".email)'
        ' WHERE email_confirmed_at IS NULL')
    op.drop_table('email_confirmation')


def downgrade():
    op.create_table('email_confirmation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_email_confirmation_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_confirmation')),
    sa.UniqueConstraint('user_id', name=op.f('uq_email_confirmation_user_id'))
    )
    op.execute(
        'INSERT INTO email_confirmation (user_id, email, confirmed_at)'
        ' SELECT id, email, email_confirmed_at FROM "user" WHERE email_confirmed_at IS NOT NULL')
