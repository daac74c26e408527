"""Initial schema: localities, accounts, audit trail, rounds, proposals, voting, results,
monitoring.

Reviewed by hand: constraint names follow the metadata's naming convention; the partial unique
index on role_grant carries its condition for both SQLite and PostgreSQL; datetimes are stored
with their zone (the models read them back as aware UTC).
Revision ID: 5afafc5bf73d
Revises: 
Create Date: 2026-11-22 20:09:53.468841

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5afafc5bf73d'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=80), nullable=False),
    sa.Column('object_type', sa.String(length=80), nullable=True),
    sa.Column('object_id', sa.String(length=64), nullable=True),
    sa.Column('round_id', sa.Integer(), nullable=True),
    sa.Column('before_json', sa.Text(), nullable=True),
    sa.Column('after_json', sa.Text(), nullable=True),
    sa.Column('previous_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entry')),
    sa.UniqueConstraint('hash', name=op.f('uq_audit_entry_hash')),
    sa.UniqueConstraint('previous_hash', name=op.f('uq_audit_entry_previous_hash')),
    sa.UniqueConstraint('sequence', name=op.f('uq_audit_entry_sequence'))
    )
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entry_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entry_round_id'), ['round_id'], unique=False)

    op.create_table('audit_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head'))
    )
    op.create_table('code_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('attempted_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_code_attempt'))
    )
    with op.batch_alter_table('code_attempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_code_attempt_address'), ['address'], unique=False)
        batch_op.create_index(batch_op.f('ix_code_attempt_attempted_at'), ['attempted_at'], unique=False)

    op.create_table('locality',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('population', sa.Integer(), nullable=False),
    sa.CheckConstraint('population >= 0', name=op.f('ck_locality_population_not_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_locality')),
    sa.UniqueConstraint('name', name=op.f('uq_locality_name')),
    sa.UniqueConstraint('slug', name=op.f('uq_locality_slug'))
    )
    op.create_table('questionnaire_ticket',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('nonce_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaire_ticket')),
    sa.UniqueConstraint('nonce_hash', name=op.f('uq_questionnaire_ticket_nonce_hash'))
    )
    op.create_table('sign_in_failure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('failed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_failure'))
    )
    with op.batch_alter_table('sign_in_failure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_in_failure_address'), ['address'], unique=False)
        batch_op.create_index(batch_op.f('ix_sign_in_failure_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_sign_in_failure_failed_at'), ['failed_at'], unique=False)

    op.create_table('locality_population',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('locality_id', sa.Integer(), nullable=False),
    sa.Column('age_band', sa.String(length=20), nullable=False),
    sa.Column('min_age', sa.Integer(), nullable=False),
    sa.Column('max_age', sa.Integer(), nullable=False),
    sa.Column('population', sa.Integer(), nullable=False),
    sa.CheckConstraint('min_age BETWEEN 0 AND max_age', name=op.f('ck_locality_population_band_ages_in_order')),
    sa.CheckConstraint('population >= 0', name=op.f('ck_locality_population_band_population_not_negative')),
    sa.ForeignKeyConstraint(['locality_id'], ['locality.id'], name=op.f('fk_locality_population_locality_id_locality')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_locality_population')),
    sa.UniqueConstraint('locality_id', 'age_band', name='one_figure_per_band')
    )
    with op.batch_alter_table('locality_population', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_locality_population_locality_id'), ['locality_id'], unique=False)

    op.create_table('postcode_area',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('prefix', sa.String(length=8), nullable=False),
    sa.Column('locality_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['locality_id'], ['locality.id'], name=op.f('fk_postcode_area_locality_id_locality')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_postcode_area')),
    sa.UniqueConstraint('prefix', name=op.f('uq_postcode_area_prefix'))
    )
    with op.batch_alter_table('postcode_area', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_postcode_area_locality_id'), ['locality_id'], unique=False)

    op.create_table('user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('postcode', sa.String(length=8), nullable=True),
    sa.Column('date_of_birth', sa.Date(), nullable=True),
    sa.Column('locality_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reset_mailed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('email = lower(email)', name=op.f('ck_user_email_lower_case')),
    sa.ForeignKeyConstraint(['locality_id'], ['locality.id'], name=op.f('fk_user_locality_id_locality')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user')),
    sa.UniqueConstraint('email', name=op.f('uq_user_email'))
    )
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_locality_id'), ['locality_id'], unique=False)

    op.create_table('email_confirmation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_email_confirmation_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_confirmation')),
    sa.UniqueConstraint('user_id', name=op.f('uq_email_confirmation_user_id'))
    )
    op.create_table('role_grant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('locality_id', sa.Integer(), nullable=True),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(role = 'group_lead') = (locality_id IS NOT NULL)", name=op.f('ck_role_grant_locality_iff_group_lead')),
    sa.CheckConstraint("role IN ('group_lead', 'finance_officer', 'administrator')", name=op.f('ck_role_grant_known_role')),
    sa.ForeignKeyConstraint(['locality_id'], ['locality.id'], name=op.f('fk_role_grant_locality_id_locality')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_role_grant_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_role_grant')),
    sa.UniqueConstraint('user_id', 'role', 'locality_id', name=op.f('uq_role_grant_user_id_role_locality_id'))
    )
    with op.batch_alter_table('role_grant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_role_grant_locality_id'), ['locality_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_role_grant_user_id'), ['user_id'], unique=False)
        batch_op.create_index('uq_role_grant_user_id_role_unscoped', ['user_id', 'role'], unique=True, sqlite_where=sa.text('locality_id IS NULL'), postgresql_where=sa.text('locality_id IS NULL'))

    op.create_table('round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('locality_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('budget_pence', sa.Integer(), nullable=False),
    sa.Column('min_project_cost_pence', sa.Integer(), nullable=False),
    sa.Column('max_project_cost_pence', sa.Integer(), nullable=False),
    sa.Column('priorities', sa.JSON(), nullable=False),
    sa.Column('is_group_proposals_allowed', sa.Boolean(), nullable=False),
    sa.Column('is_ballot_order_fixed', sa.Boolean(), nullable=False),
    sa.Column('minimum_voting_age', sa.Integer(), nullable=False),
    sa.Column('voter_verification', sa.String(length=32), nullable=False),
    sa.Column('ballot_type', sa.String(length=32), nullable=False),
    sa.Column('ballot_params', sa.JSON(), nullable=False),
    sa.Column('tally_rule', sa.String(length=32), nullable=False),
    sa.Column('tally_params', sa.JSON(), nullable=False),
    sa.Column('tie_break', sa.String(length=32), nullable=False),
    sa.Column('lottery_seed', sa.String(length=64), nullable=False),
    sa.Column('phase', sa.String(length=20), nullable=False),
    sa.Column('proposals_open_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('proposals_close_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('voting_open_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('voting_close_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ballot_fixed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('budget_pence >= 0', name=op.f('ck_round_budget_not_negative')),
    sa.CheckConstraint('max_project_cost_pence >= min_project_cost_pence', name=op.f('ck_round_cost_limits_ordered')),
    sa.CheckConstraint('min_project_cost_pence >= 0', name=op.f('ck_round_min_cost_not_negative')),
    sa.CheckConstraint('minimum_voting_age BETWEEN 0 AND 120', name=op.f('ck_round_voting_age_range')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_round_created_by_id_user')),
    sa.ForeignKeyConstraint(['locality_id'], ['locality.id'], name=op.f('fk_round_locality_id_locality')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_round'))
    )
    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_round_locality_id'), ['locality_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_round_phase'), ['phase'], unique=False)

    op.create_table('count_snapshot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('counted_by_id', sa.Integer(), nullable=False),
    sa.Column('counted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('rule_json', sa.Text(), nullable=False),
    sa.Column('algorithm_version', sa.String(length=64), nullable=False),
    sa.Column('input_fingerprint', sa.String(length=64), nullable=False),
    sa.Column('input_pb', sa.Text(), nullable=False),
    sa.Column('ballots_csv', sa.Text(), nullable=False),
    sa.Column('result_json', sa.Text(), nullable=False),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('winners_json', sa.Text(), nullable=False),
    sa.Column('allocation_json', sa.Text(), nullable=False),
    sa.Column('support_json', sa.Text(), nullable=False),
    sa.Column('checks_json', sa.Text(), nullable=False),
    sa.Column('budget_pence', sa.Integer(), nullable=False),
    sa.Column('spent_pence', sa.Integer(), nullable=False),
    sa.Column('ballot_count', sa.Integer(), nullable=False),
    sa.Column('is_different_from_previous', sa.Boolean(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.CheckConstraint('spent_pence <= budget_pence', name=op.f('ck_count_snapshot_within_budget')),
    sa.ForeignKeyConstraint(['counted_by_id'], ['user.id'], name=op.f('fk_count_snapshot_counted_by_id_user')),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_count_snapshot_round_id_round')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_count_snapshot')),
    sa.UniqueConstraint('round_id', 'sequence', name=op.f('uq_count_snapshot_round_id_sequence'))
    )
    with op.batch_alter_table('count_snapshot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_count_snapshot_round_id'), ['round_id'], unique=False)

    op.create_table('equalities_response',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('locality_id', sa.Integer(), nullable=False),
    sa.Column('answered_on', sa.Date(), nullable=False),
    sa.Column('age_band', sa.String(length=32), nullable=False),
    sa.Column('disability', sa.String(length=32), nullable=False),
    sa.Column('gender_reassignment', sa.String(length=32), nullable=False),
    sa.Column('marital_status', sa.String(length=32), nullable=False),
    sa.Column('pregnancy_maternity', sa.String(length=32), nullable=False),
    sa.Column('ethnic_group', sa.String(length=32), nullable=False),
    sa.Column('religion', sa.String(length=32), nullable=False),
    sa.Column('sex', sa.String(length=32), nullable=False),
    sa.Column('sexual_orientation', sa.String(length=32), nullable=False),
    sa.Column('area_type', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['locality_id'], ['locality.id'], name=op.f('fk_equalities_response_locality_id_locality')),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_equalities_response_round_id_round')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_equalities_response'))
    )
    with op.batch_alter_table('equalities_response', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_equalities_response_locality_id'), ['locality_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_equalities_response_round_id'), ['round_id'], unique=False)

    op.create_table('paper_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=120), nullable=False),
    sa.Column('declared_count', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('declared_count >= 0', name=op.f('ck_paper_batch_count_not_negative')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_paper_batch_created_by_id_user')),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_paper_batch_round_id_round')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paper_batch')),
    sa.UniqueConstraint('round_id', 'label', name=op.f('uq_paper_batch_round_id_label'))
    )
    with op.batch_alter_table('paper_batch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_paper_batch_round_id'), ['round_id'], unique=False)

    op.create_table('proposal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('proposer_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.String(length=500), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('location', sa.String(length=200), nullable=False),
    sa.Column('location_postcode', sa.String(length=8), nullable=True),
    sa.Column('organisation', sa.String(length=200), nullable=False),
    sa.Column('conflict_of_interest', sa.Text(), nullable=False),
    sa.Column('outcomes', sa.JSON(), nullable=False),
    sa.Column('priorities', sa.JSON(), nullable=False),
    sa.Column('cost_pence', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('check_results', sa.JSON(), nullable=False),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('cost_pence >= 0', name=op.f('ck_proposal_cost_not_negative')),
    sa.ForeignKeyConstraint(['merged_into_id'], ['proposal.id'], name=op.f('fk_proposal_merged_into_id_proposal')),
    sa.ForeignKeyConstraint(['proposer_id'], ['user.id'], name=op.f('fk_proposal_proposer_id_user')),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_proposal_round_id_round')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal'))
    )
    with op.batch_alter_table('proposal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_proposer_id'), ['proposer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposal_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposal_status'), ['status'], unique=False)

    op.create_table('round_follower',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_round_follower_round_id_round'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_round_follower_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_round_follower')),
    sa.UniqueConstraint('round_id', 'user_id', name=op.f('uq_round_follower_round_id_user_id'))
    )
    with op.batch_alter_table('round_follower', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_round_follower_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_round_follower_user_id'), ['user_id'], unique=False)

    op.create_table('voting_code_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_voting_code_batch_created_by_id_user')),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_voting_code_batch_round_id_round')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voting_code_batch'))
    )
    with op.batch_alter_table('voting_code_batch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_voting_code_batch_round_id'), ['round_id'], unique=False)

    op.create_table('ballot',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('cast_on', sa.Date(), nullable=False),
    sa.Column('receipt_hash', sa.String(length=64), nullable=False),
    sa.Column('choices_json', sa.Text(), nullable=False),
    sa.Column('paper_batch_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("(channel = 'paper') = (paper_batch_id IS NOT NULL)", name=op.f('ck_ballot_batch_iff_paper')),
    sa.CheckConstraint("channel IN ('online', 'code', 'paper', 'assisted')", name=op.f('ck_ballot_known_channel')),
    sa.ForeignKeyConstraint(['paper_batch_id'], ['paper_batch.id'], name=op.f('fk_ballot_paper_batch_id_paper_batch')),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_ballot_round_id_round')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballot')),
    sa.UniqueConstraint('receipt_hash', name=op.f('uq_ballot_receipt_hash')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('ballot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ballot_paper_batch_id'), ['paper_batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ballot_round_id'), ['round_id'], unique=False)

    op.create_table('cost_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('item', sa.String(length=200), nullable=False),
    sa.Column('amount_pence', sa.Integer(), nullable=False),
    sa.CheckConstraint('amount_pence > 0', name=op.f('ck_cost_line_amount_positive')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], name=op.f('fk_cost_line_proposal_id_proposal'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cost_line'))
    )
    with op.batch_alter_table('cost_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cost_line_proposal_id'), ['proposal_id'], unique=False)

    op.create_table('declared_interest',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], name=op.f('fk_declared_interest_proposal_id_proposal'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_declared_interest_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_declared_interest')),
    sa.UniqueConstraint('proposal_id', 'user_id', name=op.f('uq_declared_interest_proposal_id_user_id'))
    )
    with op.batch_alter_table('declared_interest', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_declared_interest_proposal_id'), ['proposal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_declared_interest_user_id'), ['user_id'], unique=False)

    op.create_table('proposal_review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=20), nullable=False),
    sa.Column('feasibility', sa.String(length=20), nullable=False),
    sa.Column('fit', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], name=op.f('fk_proposal_review_proposal_id_proposal'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewer_id'], ['user.id'], name=op.f('fk_proposal_review_reviewer_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_review'))
    )
    with op.batch_alter_table('proposal_review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_review_proposal_id'), ['proposal_id'], unique=False)

    op.create_table('result_publication',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('snapshot_id', sa.Integer(), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ballots_pb', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['published_by_id'], ['user.id'], name=op.f('fk_result_publication_published_by_id_user')),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_result_publication_round_id_round')),
    sa.ForeignKeyConstraint(['snapshot_id'], ['count_snapshot.id'], name=op.f('fk_result_publication_snapshot_id_count_snapshot')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_result_publication')),
    sa.UniqueConstraint('round_id', name=op.f('uq_result_publication_round_id')),
    sa.UniqueConstraint('snapshot_id', name=op.f('uq_result_publication_snapshot_id'))
    )
    op.create_table('snapshot_review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('snapshot_id', sa.Integer(), nullable=False),
    sa.Column('officer_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('snapshot_hash', sa.String(length=64), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("decision IN ('signed-off', 'returned')", name=op.f('ck_snapshot_review_known_decision')),
    sa.ForeignKeyConstraint(['officer_id'], ['user.id'], name=op.f('fk_snapshot_review_officer_id_user')),
    sa.ForeignKeyConstraint(['snapshot_id'], ['count_snapshot.id'], name=op.f('fk_snapshot_review_snapshot_id_count_snapshot')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_snapshot_review'))
    )
    with op.batch_alter_table('snapshot_review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_snapshot_review_snapshot_id'), ['snapshot_id'], unique=False)

    op.create_table('voting_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['voting_code_batch.id'], name=op.f('fk_voting_code_batch_id_voting_code_batch')),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_voting_code_round_id_round')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voting_code')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_voting_code_code_hash'))
    )
    with op.batch_alter_table('voting_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_voting_code_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_voting_code_round_id'), ['round_id'], unique=False)

    op.create_table('allocation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('locality_id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('amount_pence', sa.Integer(), nullable=False),
    sa.Column('financial_year', sa.Integer(), nullable=False),
    sa.Column('delivery', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("delivery IN ('not-started', 'in-progress', 'delivered', 'cancelled')", name=op.f('ck_allocation_known_delivery')),
    sa.CheckConstraint('amount_pence > 0', name=op.f('ck_allocation_amount_positive')),
    sa.ForeignKeyConstraint(['locality_id'], ['locality.id'], name=op.f('fk_allocation_locality_id_locality')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], name=op.f('fk_allocation_proposal_id_proposal')),
    sa.ForeignKeyConstraint(['review_id'], ['snapshot_review.id'], name=op.f('fk_allocation_review_id_snapshot_review')),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_allocation_round_id_round')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_allocation')),
    sa.UniqueConstraint('proposal_id', name=op.f('uq_allocation_proposal_id'))
    )
    with op.batch_alter_table('allocation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_allocation_financial_year'), ['financial_year'], unique=False)
        batch_op.create_index(batch_op.f('ix_allocation_locality_id'), ['locality_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_allocation_review_id'), ['review_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_allocation_round_id'), ['round_id'], unique=False)

    op.create_table('participation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('person_key', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('voting_code_id', sa.Integer(), nullable=True),
    sa.Column('helper_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('age_years', sa.Integer(), nullable=False),
    sa.Column('voted_on', sa.Date(), nullable=False),
    sa.CheckConstraint("(channel = 'assisted') = (helper_id IS NOT NULL)", name=op.f('ck_participation_helper_iff_assisted')),
    sa.CheckConstraint("channel IN ('online', 'code', 'paper', 'assisted')", name=op.f('ck_participation_known_channel')),
    sa.ForeignKeyConstraint(['helper_id'], ['user.id'], name=op.f('fk_participation_helper_id_user')),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_participation_round_id_round')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_participation_user_id_user')),
    sa.ForeignKeyConstraint(['voting_code_id'], ['voting_code.id'], name=op.f('fk_participation_voting_code_id_voting_code')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participation')),
    sa.UniqueConstraint('round_id', 'person_key', name=op.f('uq_participation_round_id_person_key')),
    sa.UniqueConstraint('round_id', 'user_id', name=op.f('uq_participation_round_id_user_id')),
    sa.UniqueConstraint('voting_code_id', name=op.f('uq_participation_voting_code_id'))
    )
    with op.batch_alter_table('participation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participation_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_participation_user_id'), ['user_id'], unique=False)

    op.create_table('ledger_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('allocation_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('amount_pence', sa.Integer(), nullable=False),
    sa.Column('entry_on', sa.Date(), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=False),
    sa.Column('entered_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('spend', 'return')", name=op.f('ck_ledger_entry_known_kind')),
    sa.CheckConstraint('amount_pence > 0', name=op.f('ck_ledger_entry_amount_positive')),
    sa.ForeignKeyConstraint(['allocation_id'], ['allocation.id'], name=op.f('fk_ledger_entry_allocation_id_allocation')),
    sa.ForeignKeyConstraint(['entered_by_id'], ['user.id'], name=op.f('fk_ledger_entry_entered_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_entry'))
    )
    with op.batch_alter_table('ledger_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_entry_allocation_id'), ['allocation_id'], unique=False)



def downgrade():
    with op.batch_alter_table('ledger_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_entry_allocation_id'))

    op.drop_table('ledger_entry')
    with op.batch_alter_table('participation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participation_user_id'))
        batch_op.drop_index(batch_op.f('ix_participation_round_id'))

    op.drop_table('participation')
    with op.batch_alter_table('allocation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_allocation_round_id'))
        batch_op.drop_index(batch_op.f('ix_allocation_review_id'))
        batch_op.drop_index(batch_op.f('ix_allocation_locality_id'))
        batch_op.drop_index(batch_op.f('ix_allocation_financial_year'))

    op.drop_table('allocation')
    with op.batch_alter_table('voting_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_voting_code_round_id'))
        batch_op.drop_index(batch_op.f('ix_voting_code_batch_id'))

    op.drop_table('voting_code')
    with op.batch_alter_table('snapshot_review', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_snapshot_review_snapshot_id'))

    op.drop_table('snapshot_review')
    op.drop_table('result_publication')
    with op.batch_alter_table('proposal_review', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposal_review_proposal_id'))

    op.drop_table('proposal_review')
    with op.batch_alter_table('declared_interest', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_declared_interest_user_id'))
        batch_op.drop_index(batch_op.f('ix_declared_interest_proposal_id'))

    op.drop_table('declared_interest')
    with op.batch_alter_table('cost_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cost_line_proposal_id'))

    op.drop_table('cost_line')
    with op.batch_alter_table('ballot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ballot_round_id'))
        batch_op.drop_index(batch_op.f('ix_ballot_paper_batch_id'))

    op.drop_table('ballot')
    with op.batch_alter_table('voting_code_batch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_voting_code_batch_round_id'))

    op.drop_table('voting_code_batch')
    with op.batch_alter_table('round_follower', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_round_follower_user_id'))
        batch_op.drop_index(batch_op.f('ix_round_follower_round_id'))

    op.drop_table('round_follower')
    with op.batch_alter_table('proposal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposal_status'))
        batch_op.drop_index(batch_op.f('ix_proposal_round_id'))
        batch_op.drop_index(batch_op.f('ix_proposal_proposer_id'))

    op.drop_table('proposal')
    with op.batch_alter_table('paper_batch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_paper_batch_round_id'))

    op.drop_table('paper_batch')
    with op.batch_alter_table('equalities_response', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_equalities_response_round_id'))
        batch_op.drop_index(batch_op.f('ix_equalities_response_locality_id'))

    op.drop_table('equalities_response')
    with op.batch_alter_table('count_snapshot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_count_snapshot_round_id'))

    op.drop_table('count_snapshot')
    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_round_phase'))
        batch_op.drop_index(batch_op.f('ix_round_locality_id'))

    op.drop_table('round')
    with op.batch_alter_table('role_grant', schema=None) as batch_op:
        batch_op.drop_index('uq_role_grant_user_id_role_unscoped', sqlite_where=sa.text('locality_id IS NULL'), postgresql_where=sa.text('locality_id IS NULL'))
        batch_op.drop_index(batch_op.f('ix_role_grant_user_id'))
        batch_op.drop_index(batch_op.f('ix_role_grant_locality_id'))

    op.drop_table('role_grant')
    op.drop_table('email_confirmation')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_locality_id'))

    op.drop_table('user')
    with op.batch_alter_table('postcode_area', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_postcode_area_locality_id'))

    op.drop_table('postcode_area')
    with op.batch_alter_table('locality_population', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_locality_population_locality_id'))

    op.drop_table('locality_population')
    with op.batch_alter_table('sign_in_failure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_failure_failed_at'))
        batch_op.drop_index(batch_op.f('ix_sign_in_failure_email'))
        batch_op.drop_index(batch_op.f('ix_sign_in_failure_address'))

    op.drop_table('sign_in_failure')
    op.drop_table('questionnaire_ticket')
    op.drop_table('locality')
    with op.batch_alter_table('code_attempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_code_attempt_attempted_at'))
        batch_op.drop_index(batch_op.f('ix_code_attempt_address'))

    op.drop_table('code_attempt')
    op.drop_table('audit_head')
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entry_round_id'))
        batch_op.drop_index(batch_op.f('ix_audit_entry_actor_id'))

    op.drop_table('audit_entry')
