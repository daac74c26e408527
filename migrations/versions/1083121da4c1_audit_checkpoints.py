"""Audit checkpoints, and on PostgreSQL a trigger that refuses UPDATE and DELETE on audit_entry.

Entries get a MAC column. Existing entries keep it empty: the migration cannot know the
audit key, and the verifier accepts MAC-less entries only at the start of the chain. The
single-row chain head goes: appends take a lock instead, and checkpoints catch a deleted tail.

Revision ID: 1083121da4c1
Revises: 6465a1f66574
Create Date: 2026-12-06 20:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1083121da4c1'
down_revision = '6465a1f66574'
branch_labels = None
depends_on = None

APPEND_ONLY_TABLES = ('audit_entry', 'audit_checkpoint')

REFUSE_CHANGE_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: % on % is refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def upgrade():
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mac', sa.String(length=64), nullable=True))

    op.create_table('audit_checkpoint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('mac', sa.String(length=64), nullable=False),
    sa.Column('purpose', sa.String(length=40), nullable=False),
    sa.Column('object_type', sa.String(length=80), nullable=True),
    sa.Column('object_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_checkpoint'))
    )
    with op.batch_alter_table('audit_checkpoint', schema=None) as batch_op:
        batch_op.create_index('ix_audit_checkpoint_object', ['object_type', 'object_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_audit_checkpoint_sequence'), ['sequence'],
                              unique=False)

    op.drop_table('audit_head')

    if op.get_bind().dialect.name == 'postgresql':
        op.execute(REFUSE_CHANGE_FUNCTION)
        for table in APPEND_ONLY_TABLES:
            op.execute(f'CREATE TRIGGER {table}_append_only'
                       f' BEFORE UPDATE OR DELETE OR TRUNCATE ON {table}'
                       ' FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()')


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for table in APPEND_ONLY_TABLES:
            op.execute(f'DROP TRIGGER IF EXISTS {table}_append_only ON {table}')
        op.execute('DROP FUNCTION IF EXISTS audit_refuse_change()')

    op.create_table('audit_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head'))
    )
    # The old code reads the chain's end from its head row.
    op.execute('INSERT INTO audit_head (id, sequence, hash)'
               ' SELECT 1, sequence, hash FROM audit_entry'
               ' WHERE sequence = (SELECT MAX(sequence) FROM audit_entry)')

    with op.batch_alter_table('audit_checkpoint', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_checkpoint_sequence'))
        batch_op.drop_index('ix_audit_checkpoint_object')

    op.drop_table('audit_checkpoint')
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_column('mac')
