"""Indexes that serve the audit page newest first within a round or a person's entries.

Reviewed by hand. The audit page reads a page of entries from a boundary sequence, filtered by
round or by actor; (round_id, sequence) and (actor_id, sequence) give it those entries in order
without a sort, whatever the trail's length. They replace the single-column indexes, which are
their leading columns.

Revision ID: a59ee839287c
Revises: 7d1f19dfbeed
Create Date: 2026-12-07 01:38:41

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a59ee839287c'
down_revision = '7d1f19dfbeed'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.create_index('ix_audit_entry_round_id_sequence', ['round_id', 'sequence'],
                              unique=False)
        batch_op.create_index('ix_audit_entry_actor_id_sequence', ['actor_id', 'sequence'],
                              unique=False)
        batch_op.drop_index(batch_op.f('ix_audit_entry_round_id'))
        batch_op.drop_index(batch_op.f('ix_audit_entry_actor_id'))


def downgrade():
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entry_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entry_round_id'), ['round_id'], unique=False)
        batch_op.drop_index('ix_audit_entry_actor_id_sequence')
        batch_op.drop_index('ix_audit_entry_round_id_sequence')
