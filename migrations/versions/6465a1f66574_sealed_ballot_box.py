"""Sealed ballot box: round key pairs, key holders, key shares, sealed ballots.

Reviewed by hand. A ballot keeps only its choices: its channel, day, paper batch and receipt
move to an opened envelope of its own (a new random id, written in receipt order), and the
ballot table is rebuilt WITHOUT ROWID on SQLite, as it was. Upgrade between rounds: a round
still in voting when this runs has no ballot box, and refuses further ballots until it
closes.

Revision ID: 6465a1f66574
Revises: 5afafc5bf73d
Create Date: 2026-12-06 20:10:00

"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6465a1f66574'
down_revision = '5afafc5bf73d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('key_holder',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('public_key', sa.LargeBinary(length=32), nullable=False),
    sa.Column('public_key_mac', sa.String(length=64), nullable=False),
    sa.Column('wrapped_private_key', sa.LargeBinary(length=72), nullable=False),
    sa.Column('kdf_salt', sa.LargeBinary(length=16), nullable=False),
    sa.Column('kdf_opslimit', sa.Integer(), nullable=False),
    sa.Column('kdf_memlimit', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_key_holder_created_by_id_user')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_key_holder_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_key_holder'))
    )
    with op.batch_alter_table('key_holder', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_key_holder_user_id'), ['user_id'], unique=False)
        batch_op.create_index('uq_key_holder_user_id_active', ['user_id'], unique=True, sqlite_where=sa.text('retired_at IS NULL'), postgresql_where=sa.text('retired_at IS NULL'))

    op.create_table('ballot_box',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('public_key', sa.LargeBinary(length=32), nullable=False),
    sa.Column('public_key_mac', sa.String(length=64), nullable=False),
    sa.Column('threshold', sa.Integer(), nullable=False),
    sa.Column('sealed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('opened_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('threshold >= 1', name=op.f('ck_ballot_box_threshold_positive')),
    sa.ForeignKeyConstraint(['opened_by_id'], ['user.id'], name=op.f('fk_ballot_box_opened_by_id_user')),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_ballot_box_round_id_round')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballot_box')),
    sa.UniqueConstraint('round_id', name=op.f('uq_ballot_box_round_id'))
    )
    op.create_table('key_share',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('box_id', sa.Integer(), nullable=False),
    sa.Column('holder_id', sa.Integer(), nullable=False),
    sa.Column('sealed_share', sa.LargeBinary(length=200), nullable=False),
    sa.ForeignKeyConstraint(['box_id'], ['ballot_box.id'], name=op.f('fk_key_share_box_id_ballot_box')),
    sa.ForeignKeyConstraint(['holder_id'], ['key_holder.id'], name=op.f('fk_key_share_holder_id_key_holder')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_key_share')),
    sa.UniqueConstraint('box_id', 'holder_id', name=op.f('uq_key_share_box_id_holder_id'))
    )
    with op.batch_alter_table('key_share', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_key_share_box_id'), ['box_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_key_share_holder_id'), ['holder_id'], unique=False)

    op.create_table('ballot_envelope',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('cast_on', sa.Date(), nullable=False),
    sa.Column('paper_batch_id', sa.Integer(), nullable=True),
    sa.Column('receipt_hash', sa.String(length=64), nullable=False),
    sa.Column('sealed_choices', sa.LargeBinary(), nullable=True),
    sa.CheckConstraint("(channel = 'paper') = (paper_batch_id IS NOT NULL)", name=op.f('ck_ballot_envelope_batch_iff_paper')),
    sa.CheckConstraint("channel IN ('online', 'code', 'paper', 'assisted')", name=op.f('ck_ballot_envelope_known_channel')),
    sa.ForeignKeyConstraint(['paper_batch_id'], ['paper_batch.id'], name=op.f('fk_ballot_envelope_paper_batch_id_paper_batch')),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_ballot_envelope_round_id_round')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballot_envelope')),
    sa.UniqueConstraint('receipt_hash', name=op.f('uq_ballot_envelope_receipt_hash'))
    )
    with op.batch_alter_table('ballot_envelope', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ballot_envelope_paper_batch_id'), ['paper_batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ballot_envelope_round_id'), ['round_id'], unique=False)

    _move_envelopes_out_of_ballots()
    with op.batch_alter_table('ballot', schema=None,
                              table_kwargs={'sqlite_with_rowid': False}) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_ballot_receipt_hash'), type_='unique')
        batch_op.drop_constraint(batch_op.f('ck_ballot_batch_iff_paper'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_ballot_known_channel'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_ballot_paper_batch_id_paper_batch'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_ballot_paper_batch_id'))
        batch_op.drop_column('receipt_hash')
        batch_op.drop_column('channel')
        batch_op.drop_column('cast_on')
        batch_op.drop_column('paper_batch_id')


def _move_envelopes_out_of_ballots():
    """Give each existing (already counted) ballot an opened envelope with its channel, day,
    batch and receipt, under a new random id and in receipt order, so nothing joins them."""
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT round_id, channel, cast_on, paper_batch_id, receipt_hash FROM ballot"
        " ORDER BY receipt_hash")).all()
    envelope = sa.table('ballot_envelope', sa.column('id'), sa.column('round_id'),
                        sa.column('channel'), sa.column('cast_on'), sa.column('paper_batch_id'),
                        sa.column('receipt_hash'))
    if rows:
        op.bulk_insert(envelope, [
            {"id": secrets.token_hex(16), "round_id": r.round_id, "channel": r.channel,
             "cast_on": r.cast_on, "paper_batch_id": r.paper_batch_id,
             "receipt_hash": r.receipt_hash} for r in rows])


def downgrade():
    # The envelopes cannot be joined back to their ballots (that is the point): each ballot
    # gets a placeholder channel, day and receipt.
    with op.batch_alter_table('ballot', schema=None,
                              table_kwargs={'sqlite_with_rowid': False}) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('cast_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('receipt_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('paper_batch_id', sa.Integer(), nullable=True))
    op.execute("UPDATE ballot SET channel = 'online', cast_on = CURRENT_DATE, receipt_hash = id")
    with op.batch_alter_table('ballot', schema=None,
                              table_kwargs={'sqlite_with_rowid': False}) as batch_op:
        batch_op.alter_column('channel', existing_type=sa.String(length=16), nullable=False)
        batch_op.alter_column('cast_on', existing_type=sa.Date(), nullable=False)
        batch_op.alter_column('receipt_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_ballot_receipt_hash'), ['receipt_hash'])
        batch_op.create_check_constraint(batch_op.f('ck_ballot_batch_iff_paper'),
                                         "(channel = 'paper') = (paper_batch_id IS NOT NULL)")
        batch_op.create_check_constraint(batch_op.f('ck_ballot_known_channel'),
                                         "channel IN ('online', 'code', 'paper', 'assisted')")
        batch_op.create_foreign_key(batch_op.f('fk_ballot_paper_batch_id_paper_batch'),
                                    'paper_batch', ['paper_batch_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_ballot_paper_batch_id'), ['paper_batch_id'],
                              unique=False)
    with op.batch_alter_table('ballot_envelope', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ballot_envelope_round_id'))
        batch_op.drop_index(batch_op.f('ix_ballot_envelope_paper_batch_id'))
    op.drop_table('ballot_envelope')
    with op.batch_alter_table('key_share', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_key_share_holder_id'))
        batch_op.drop_index(batch_op.f('ix_key_share_box_id'))
    op.drop_table('key_share')
    op.drop_table('ballot_box')
    with op.batch_alter_table('key_holder', schema=None) as batch_op:
        batch_op.drop_index('uq_key_holder_user_id_active', sqlite_where=sa.text('retired_at IS NULL'), postgresql_where=sa.text('retired_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_key_holder_user_id'))
    op.drop_table('key_holder')
