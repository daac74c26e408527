"""Sealed equalities answers: while a round's ballot box is sealed, its equalities answers are
sealed to the box's key too, and written out in a random order only when the box is opened.
The day an answer was given is no longer kept.

Reviewed by hand. Answers already stored in the clear for a round whose box is still sealed
are sealed to that box's public key here, as the app seals a new answer (so this step uses
the app's own sealing and MAC), and their clear rows deleted, so the upgrade leaves no answer
of a round in voting readable in the table. Deleted rows stay in the data files until they
are reused: run VACUUM (PostgreSQL) after upgrading. Answers of rounds whose box was opened
stay as they are. Downgrading deletes the sealed answers (nobody can open them without the
key holders) and gives the remaining answers today's date.

Revision ID: 73730c92b99d
Revises: e5a0c41d7b3f
Create Date: 2026-12-07 18:36:52

"""
import json
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '73730c92b99d'
down_revision = 'e5a0c41d7b3f'
branch_labels = None
depends_on = None

ANSWER_COLUMNS = ('age_band', 'disability', 'gender_reassignment', 'marital_status',
                  'pregnancy_maternity', 'ethnic_group', 'religion', 'sex',
                  'sexual_orientation', 'area_type')


def upgrade():
    sealed = op.create_table('sealed_equalities_response',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('sealed_answers', sa.LargeBinary(), nullable=False),
    sa.Column('answers_mac', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_sealed_equalities_response_round_id_round')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sealed_equalities_response'))
    )
    with op.batch_alter_table('sealed_equalities_response', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sealed_equalities_response_round_id'), ['round_id'], unique=False)

    _seal_answers_of_sealed_boxes(sealed)

    with op.batch_alter_table('equalities_response', schema=None) as batch_op:
        batch_op.drop_column('answered_on')


def _seal_answers_of_sealed_boxes(sealed):
    """Seal every clear answer of a round whose box is not yet opened, as the app seals a new
    one (padded, with its MAC), and delete it."""
    from pb_app.ballotbox.crypto import seal_padded
    from pb_app.monitoring.models import SealedResponse
    from pb_app.monitoring.services import answers_mac

    connection = op.get_bind()
    waiting = connection.execute(sa.text(
        "SELECT r.round_id, b.public_key, "
        + ", ".join(f"r.{column}" for column in ANSWER_COLUMNS)
        + " FROM equalities_response r JOIN ballot_box b ON b.round_id = r.round_id"
        " WHERE b.opened_at IS NULL")).all()
    for row in waiting:
        answers = dict(zip(ANSWER_COLUMNS, row[2:], strict=True))
        response = SealedResponse(id=secrets.token_hex(16), round_id=row.round_id,
                                  sealed_answers=seal_padded(bytes(row.public_key),
                                                             json.dumps(answers).encode()))
        connection.execute(sealed.insert().values(
            id=response.id, round_id=response.round_id, sealed_answers=response.sealed_answers,
            answers_mac=answers_mac(response)))
    connection.execute(sa.text(
        "DELETE FROM equalities_response WHERE round_id IN "
        "(SELECT round_id FROM ballot_box WHERE opened_at IS NULL)"))


def downgrade():
    with op.batch_alter_table('equalities_response', schema=None) as batch_op:
        batch_op.add_column(sa.Column('answered_on', sa.DATE(), nullable=False,
                                      server_default=sa.text('CURRENT_DATE')))
    with op.batch_alter_table('equalities_response', schema=None) as batch_op:
        batch_op.alter_column('answered_on', server_default=None)

    with op.batch_alter_table('sealed_equalities_response', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sealed_equalities_response_round_id'))

    op.drop_table('sealed_equalities_response')
